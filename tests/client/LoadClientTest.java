package client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import lib.report.BenchmarkResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The load client against a stand-in server that answers like the model server (model1 is broken). */
class LoadClientTest {
    HttpServer server;
    String url;
    final List<String> seen = new CopyOnWriteArrayList<>();
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/predictions/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            seen.add(exchange.getRequestMethod() + " " + path + " " + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            int status = path.endsWith("model1") ? 503 : 200;
            byte[] body = "{\"detail\": \"i think i can\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    int run(String... args) {
        LoadClient client = new LoadClient();
        client.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        return new CommandLine(client).execute(args);
    }

    String output() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void seqVisitsEveryModelOfEveryServerInOrder() {
        int rc = run("seq", "--server", url, "--server", url + "/", "--models", "3", "--frequency", "0");
        assertEquals(1, rc, "model1 answers 503, so seq fails");
        assertEquals(List.of("/predictions/model0", "/predictions/model1", "/predictions/model2",
                "/predictions/model0", "/predictions/model1", "/predictions/model2"),
                seen.stream().map(s -> s.split(" ")[1]).toList());
        assertTrue(output().contains("model1: 503"), output());
        assertTrue(output().contains("model0: 200"), output());
        assertTrue(output().contains("seq: 6 requests, 2 failed"), output());
    }

    @Test
    void rndSendsNumRequestsToModelsInRange() {
        assertEquals(0, run("rnd", "--server", url, "--models", "1", "--requests", "7", "--frequency", "0"));
        assertEquals(7, seen.size());
        assertTrue(seen.stream().allMatch(s -> s.startsWith("GET /predictions/model0 ")), seen::toString);
    }

    @Test
    void postSendsTheOriginalClientsJsonBody() {
        assertEquals(0, run("rnd", "--server", url, "--models", "1", "--requests", "1", "--post"));
        assertEquals("POST /predictions/model0 {\"seq_0\":\"how many chapters the book has?\",\"seq_1\":\"The number 42 is,"
                + " in The Hitchhiker's Guide to the Galaxy by Douglas Adams.\"}", seen.get(0));
    }

    @Test
    void bmkClosedLoopPrintsIntervalsAndAResultWithErrorsByStatus() throws Exception {
        int rc = run("bmk", "--server", url, "--models", "2", "--threads", "2", "--duration", "1.2", "--interval", "0.4",
                "--warmup", "0.3", "--name", "c-0", "--results", dir.toString(), "--max-error-rate", "0.9");
        assertEquals(0, rc, "half the requests fail, within --max-error-rate 0.9: " + output());
        List<String> intervals = output().lines().filter(l -> l.startsWith("{'pid': ")).toList();
        assertEquals(3, intervals.size(), output());
        assertTrue(intervals.get(0).matches("\\{'pid': \\d+, 'throughput': [0-9.]+, 'p50': '[0-9.]+', 'p90': '[0-9.]+', 'p95': '[0-9.]+', 'errors': '\\d+'}"),
                intervals.get(0));
        String line = output().lines().filter(l -> l.startsWith(BenchmarkResult.PREFIX)).findFirst().orElseThrow();
        BenchmarkResult r = BenchmarkResult.parse(line);
        assertEquals("c-0", r.client());
        assertTrue(r.requests() > 0);
        assertTrue(r.errors() > 0 && r.errors() < r.requests(), "model1 fails, model0 works");
        assertEquals(java.util.Set.of("503"), r.errorsByStatus().keySet());
        assertEquals(r.errors(), r.errorsByStatus().get("503"));
        assertEquals(r.requests(), r.latencies().getTotalCount());
        assertTrue(seen.size() > r.requests(), "warm-up requests were sent but not counted");
        assertTrue(Files.size(dir.resolve("c-0.hlog")) > 0);
        assertEquals(r, BenchmarkResult.parse(BenchmarkResult.PREFIX + Files.readString(dir.resolve("c-0.json")).strip()));
        assertEquals(3, r.intervals().size(), "one per progress line");
        BenchmarkResult.Interval first = r.intervals().get(0);
        assertEquals(0, first.startSeconds(), 0.05);
        assertTrue(first.requests() > 0 && first.p50Micros() > 0 && first.p99Micros() >= first.p50Micros(), first.toString());
        assertEquals(java.util.Set.of("503"), first.errorsByStatus().keySet());
        assertTrue(r.intervals().stream().mapToLong(BenchmarkResult.Interval::requests).sum() <= r.requests());
        assertTrue(r.intervals().get(2).endSeconds() > r.intervals().get(1).endSeconds());
    }

    @Test
    void bmkFailsWhenMoreRequestsFailThanAllowed() {
        int rc = run("bmk", "--server", url, "--models", "2", "--threads", "2", "--duration", "0.5", "--interval", "1",
                "--warmup", "0", "--name", "c-1");
        assertEquals(1, rc, "model1 answers 503, and bmk_max_error_rate is 0 by default: " + output());
        assertTrue(output().lines().anyMatch(l -> l.matches("bmk c-1 FAILED: \\d+ of \\d+ requests failed \\(error rate 0\\.\\d+\\),"
                + " more than --max-error-rate 0 allows")), output());
        assertTrue(output().contains(BenchmarkResult.PREFIX), "the result is still there for bma");
    }

    @Test
    void seqAndRndPassWithinTheAllowedErrorRate() {
        assertEquals(0, run("seq", "--server", url, "--models", "3", "--frequency", "0", "--max-error-rate", "0.34"), output());
        assertEquals(1, run("seq", "--server", url, "--models", "3", "--frequency", "0", "--max-error-rate", "0.33"), output());
        assertTrue(output().contains("seq load-client FAILED: 1 of 3 requests failed"), output());
    }

    @Test
    void aServerThatRefusesEveryRequestFailsEveryTestEvenWithTheMostLenientLimit() throws Exception {
        server.removeContext("/predictions/");
        server.createContext("/predictions/", exchange -> {
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        assertEquals(1, run("seq", "--server", url, "--models", "2", "--frequency", "0", "--max-error-rate", "1"));
        assertTrue(output().contains("seq load-client FAILED: no request succeeded (2 of 2 failed)"), output());
        assertEquals(1, run("rnd", "--server", url, "--models", "1", "--requests", "3", "--frequency", "0", "--max-error-rate", "1"));
        assertTrue(output().contains("rnd load-client FAILED: no request succeeded (3 of 3 failed)"), output());
        assertEquals(1, run("bmk", "--server", url, "--models", "1", "--threads", "1", "--duration", "0.3", "--interval", "1",
                "--warmup", "0", "--max-error-rate", "1"));
        assertTrue(output().contains("bmk load-client FAILED: no request succeeded"), output());
    }

    @Test
    void nothingListeningFailsSeqRndAndBmk() {
        server.stop(0);
        assertEquals(1, run("seq", "--server", url, "--models", "1", "--frequency", "0"));
        assertEquals(1, run("rnd", "--server", url, "--models", "1", "--requests", "2", "--frequency", "0"));
        assertEquals(2, output().lines().filter(l -> l.contains("FAILED: no request succeeded")).count(), output());
    }

    @Test
    void bmkOpenLoopSendsExactlyTheScheduledRequests() {
        int rc = run("bmk", "--server", url, "--models", "1", "--threads", "4", "--rate", "50", "--duration", "1",
                "--interval", "1", "--warmup", "0.2");
        assertEquals(0, rc, output());
        BenchmarkResult r = BenchmarkResult.parse(output().lines().filter(l -> l.startsWith(BenchmarkResult.PREFIX)).findFirst().orElseThrow());
        assertEquals("open", r.mode());
        assertEquals(50, r.requests(), "rate x duration, whatever the timing");
        assertEquals(60, seen.size(), "10 more during the warm-up");
    }

    @Test
    void unreachableServersCountAsErrorsByException() throws Exception {
        server.stop(0);
        int rc = run("bmk", "--server", url, "--models", "1", "--threads", "1", "--duration", "0.3", "--interval", "1", "--warmup", "0");
        assertEquals(1, rc, "no request succeeded");
        assertTrue(output().contains("bmk load-client FAILED: no request succeeded"), output());
        BenchmarkResult r = BenchmarkResult.parse(output().lines().filter(l -> l.startsWith(BenchmarkResult.PREFIX)).findFirst().orElseThrow());
        assertEquals(r.requests(), r.errors());
        assertEquals(java.util.Set.of("ConnectException"), r.errorsByStatus().keySet());
    }

    @Test
    void badArgumentsAreUsageErrors() {
        assertEquals(2, run("bmx", "--server", url));
        assertEquals(2, run("bmk"));
        assertEquals(2, run("seq", "--server", url, "--max-error-rate", "1.5"));
        assertEquals(2, run("seq", "--server", url, "--max-error-rate", "NaN"));
    }
}
