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
import lib.BenchmarkResult;
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
                "--warmup", "0.3", "--name", "c-0", "--results", dir.toString());
        assertEquals(0, rc, output());
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
        assertEquals(0, rc);
        BenchmarkResult r = BenchmarkResult.parse(output().lines().filter(l -> l.startsWith(BenchmarkResult.PREFIX)).findFirst().orElseThrow());
        assertEquals(r.requests(), r.errors());
        assertEquals(java.util.Set.of("ConnectException"), r.errorsByStatus().keySet());
    }

    @Test
    void badArgumentsAreUsageErrors() {
        assertEquals(2, run("bmx", "--server", url));
        assertEquals(2, run("bmk"));
    }
}
