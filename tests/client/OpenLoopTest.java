package client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import lib.report.BenchmarkResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Open against closed loop on a deliberately slow server. The assertions compare counts and
 * orders of magnitude that follow from the schedule, not timings of this machine.
 */
class OpenLoopTest {
    static final int SERVICE_MS = 50;

    HttpServer server;
    ExecutorService executor;
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger mostInFlight = new AtomicInteger();
    final AtomicInteger received = new AtomicInteger();

    /** A server that answers after SERVICE_MS, `workers` requests at a time. */
    String slowServer(int workers) throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
        server.createContext("/predictions/", exchange -> {
            received.incrementAndGet();
            mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                Thread.sleep(SERVICE_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "{\"detail\": \"slow\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            inFlight.decrementAndGet();
            exchange.close();
        });
        executor = Executors.newFixedThreadPool(workers);
        server.setExecutor(executor);
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        executor.shutdownNow();
    }

    record Run(BenchmarkResult result, String output) {
    }

    static Run bmk(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LoadClient client = new LoadClient();
        client.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        int rc = new CommandLine(client).execute(args);
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        return new Run(BenchmarkResult.parse(text.lines().filter(l -> l.startsWith(BenchmarkResult.PREFIX)).findFirst().orElseThrow()), text);
    }

    @Test
    void openLoopKeepsItsRateAgainstAnOverloadedServerAndItsLatenciesGrowWhileClosedLoopsDoNot() throws Exception {
        String url = slowServer(1); // serves 1000 / SERVICE_MS = 20 requests/s
        Run closed = bmk("bmk", "--server", url, "--models", "1", "--threads", "2", "--duration", "2", "--interval", "0.5",
                "--warmup", "0");
        Run open = bmk("bmk", "--server", url, "--models", "1", "--rate", "40", "--connections", "200", "--duration", "2",
                "--interval", "0.5", "--warmup", "0");

        // 80 requests are due in 2 s at 40/s; one due just before the end may leave too late on a busy machine
        assertTrue(open.result().requests() >= 72, "the open loop sends at its rate: " + open.output());
        assertEquals(0, open.result().late(), "200 connections are never all busy");
        assertTrue(closed.result().requests() < 60, "2 closed-loop threads wait for their answers, so they send at the server's"
                + " pace (20/s), not more: " + closed.output());

        // open loop: the server's queue grows by 20 requests each second, and so do the latencies counted from the due times
        long openP90 = open.result().latencies().getValueAtPercentile(90);
        long closedP90 = closed.result().latencies().getValueAtPercentile(90);
        assertTrue(openP90 > 10 * SERVICE_MS * 1000, "open-loop p90 " + openP90 + " µs is many service times");
        assertTrue(openP90 > 4 * closedP90, "open-loop p90 " + openP90 + " µs vs closed-loop " + closedP90 + " µs");
        var intervals = open.result().intervals();
        assertTrue(intervals.getLast().p50Micros() > 2 * intervals.getFirst().p50Micros(), "latencies grow over time: " + intervals);
        // closed loop: the same server looks merely slow; its latencies stay near one or two service times
        assertTrue(closed.result().latencies().getMaxValue() < open.result().latencies().getValueAtPercentile(50),
                "closed-loop max below the open-loop median: " + closed.output() + open.output());
    }

    @Test
    void theConnectionBoundHoldsAndIsReportedWhenReached() throws Exception {
        String url = slowServer(16);
        Run open = bmk("bmk", "--server", url, "--models", "1", "--rate", "100", "--connections", "2", "--duration", "1",
                "--interval", "1", "--warmup", "0", "--name", "bounded");
        assertTrue(mostInFlight.get() <= 2, "never more than 2 requests in flight: " + mostInFlight.get());
        assertTrue(open.result().late() > 0, open.output());
        assertEquals(2, open.result().threads(), "the result names the connections");
        assertTrue(open.output().contains("requests waited for a connection: all 2 were busy (bmk_connections reached)"), open.output());
        assertTrue(open.output().contains("requests due could not leave before the end"), "2 connections carry at most 40 of 100/s: "
                + open.output());
        assertTrue(open.result().requests() < 60, open.output());
        assertEquals(received.get(), open.result().requests(), "every request sent was measured");
    }
}
