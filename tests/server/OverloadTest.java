package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.TracedModel;

/**
 * Overload: refusals counted by reason and logged as a rate (a bounded number of lines however
 * many are refused), the queue bounded in time as well as in count, the bound on open connections
 * answering a 503 that closes (never a hang), a connection that ignores Retry-After held until it has
 * passed, and accepted requests answered through a flood.
 */
class OverloadTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void model() throws Exception {
        ServingCoreTest.modelDir = TracedModel.bundled(dir, Map.of());
    }

    private static final Pattern REFUSED_LINE = Pattern.compile("event=refused seconds=[0-9.]+ total=(\\d+)(.*)");

    @Test
    void aFloodOfRefusalsIsCountedByReasonAndLoggedAsARateWhileAcceptedRequestsAreAnswered() throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        ServingCoreTest.GatedModel model = new ServingCoreTest.GatedModel(0);
        long started = System.nanoTime();
        System.setOut(new PrintStream(new TeeStream(out, captured), true, StandardCharsets.UTF_8));
        int flood = 300;
        try {
            ModelServer s = ServingCoreTest.start(model, 1, Map.of("MAX_QUEUE", "2", "MAX_BATCH_SIZE", "1", "QUIET", "False"));
            try {
                CompletableFuture<HttpResponse<String>> first = ServingCoreTest.computing(s, model, "first");
                List<CompletableFuture<HttpResponse<String>>> queued = List.of(ServingCoreTest.getAsync(s, "/predictions/model0?seq_0=second"),
                        ServingCoreTest.getAsync(s, "/predictions/model0?seq_0=third"));
                ServingCoreTest.awaitQueued(s, 2);
                List<CompletableFuture<HttpResponse<String>>> refused = new ArrayList<>();
                for (int i = 0; i < flood; i++) {
                    refused.add(ServingCoreTest.getAsync(s, "/predictions/model0?seq_0=flood" + i));
                }
                for (CompletableFuture<HttpResponse<String>> r : refused) {
                    assertEquals(503, r.get(60, TimeUnit.SECONDS).statusCode());
                }
                try (Socket kept = new Socket("127.0.0.1", s.port())) { // refused before its body is read
                    String body = "{\"seq_0\": \"posted\", \"seq_1\": \"a context\"}";
                    String refusal = exchange(kept, "POST /predictions/model0 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + body.length() + "\r\n\r\n" + body);
                    assertTrue(refusal.startsWith("HTTP/1.1 503"), refusal);
                    // the unread body is not taken for the next request: that is answered, or the connection closed cleanly
                    String next = readAllOrAnswer(kept, "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
                    assertTrue(next.isEmpty() || next.startsWith("HTTP/1.1 200"), next);
                }
                model.gate.countDown();
                assertEquals("{\"detail\":\"first\"}", first.get(30, TimeUnit.SECONDS).body());
                for (CompletableFuture<HttpResponse<String>> f : queued) {
                    assertEquals(200, f.get(30, TimeUnit.SECONDS).statusCode(), "accepted before the flood, answered after it");
                }
                assertEquals(200, ServingCoreTest.get(s, "/predictions/model0?seq_0=after").statusCode());
                String metrics = ServingCoreTest.get(s, "/metrics").body();
                assertTrue(metrics.contains("jdo_refused_total{model=\"model0\",reason=\"queue_full\"} " + (flood + 1) + ".0"), metrics);
                assertTrue(metrics.contains("jdo_requests_total{model=\"model0\",status=\"503\"} " + (flood + 1) + ".0"), metrics);
                assertFalse(model.computed.stream().anyMatch(q -> q.startsWith("flood")), "no refused request is computed");
            } finally {
                model.gate.countDown();
                s.drain(); // writes the last interval's line
            }
        } finally {
            System.setOut(out);
        }
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(List.of(), lines.stream().filter(l -> l.contains("event=request") && l.contains("status=503")).toList(),
                "no line per refusal");
        assertEquals(4, lines.stream().filter(l -> l.contains("event=request") && l.contains("status=200")).count(),
                "QUIET=False still logs each answered request");
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        List<String> refusedLines = lines.stream().filter(l -> l.contains("event=refused")).toList();
        assertTrue(!refusedLines.isEmpty() && refusedLines.size() <= 2 + seconds / Refusals.INTERVAL_SECONDS,
                "one line per interval at most: " + refusedLines);
        long total = 0;
        for (String line : refusedLines) {
            Matcher m = REFUSED_LINE.matcher(line);
            assertTrue(m.find(), line);
            assertTrue(m.group(2).contains("queue_full="), line);
            total += Long.parseLong(m.group(1));
        }
        assertEquals(flood + 1, total, "the lines count every refusal: " + refusedLines);
    }

    @Test
    void aRequestThatWouldNotBeAnsweredWithinTheTimeoutIsRefusedAtOnce() throws Exception {
        ServingCoreTest.GatedModel model = new ServingCoreTest.GatedModel(0);
        ModelServer s = ServingCoreTest.start(model, 1, Map.of("REQUEST_TIMEOUT_MS", "5000", "MAX_BATCH_SIZE", "1"));
        try {
            CompletableFuture<HttpResponse<String>> first = ServingCoreTest.computing(s, model, "first");
            CompletableFuture<HttpResponse<String>> second = ServingCoreTest.getAsync(s, "/predictions/model0?seq_0=second");
            ServingCoreTest.awaitQueued(s, 1); // admitted: nothing measured yet
            ModelQueue queue = s.store().copies().get(0).queue;
            for (int i = 0; i < 64; i++) {
                queue.served(1, TimeUnit.SECONDS.toNanos(10)); // as if forwards took 10 s each: second's and late's 20 s
            }
            HttpResponse<String> late = ServingCoreTest.get(s, "/predictions/model0?seq_0=late");
            assertEquals(503, late.statusCode(), late.body());
            assertTrue(late.body().contains("would not answer within request_timeout_ms=5000"), late.body());
            assertEquals("1", late.headers().firstValue("Retry-After").orElse(""));
            model.gate.countDown();
            first.get(30, TimeUnit.SECONDS);
            second.get(30, TimeUnit.SECONDS);
            assertFalse(model.computed.contains("late"));
            assertEquals(200, ServingCoreTest.get(s, "/predictions/model0?seq_0=alone").statusCode(),
                    "with nothing queued ahead a request is admitted whatever the measure");
            String metrics = ServingCoreTest.get(s, "/metrics").body();
            assertTrue(metrics.contains("jdo_refused_total{model=\"model0\",reason=\"deadline\"} 1.0"), metrics);
        } finally {
            model.gate.countDown();
            s.drain();
        }
    }

    @Test
    void aConnectionThatRetriesAtOnceIsHeldUntilItsRetryAfterThenAdmittedOrRefusedAsTheServerStandsThen() throws Exception {
        ServingCoreTest.GatedModel model = new ServingCoreTest.GatedModel(0);
        ModelServer s = ServingCoreTest.start(model, 1, Map.of("MAX_QUEUE", "1", "MAX_BATCH_SIZE", "1"));
        try {
            CompletableFuture<HttpResponse<String>> first = ServingCoreTest.computing(s, model, "first");
            CompletableFuture<HttpResponse<String>> queued = ServingCoreTest.getAsync(s, "/predictions/model0?seq_0=queued");
            ServingCoreTest.awaitQueued(s, 1);
            String again = "GET /predictions/model0?seq_0=again HTTP/1.1\r\nHost: x\r\n\r\n";
            try (Socket eager = new Socket("127.0.0.1", s.port()); Socket fresh = new Socket("127.0.0.1", s.port())) {
                assertTrue(exchange(eager, again).startsWith("HTTP/1.1 503"), "the first refusal comes at once");
                eager.getOutputStream().write(again.getBytes(StandardCharsets.US_ASCII)); // at once, not after Retry-After: 1
                String other = exchange(fresh, again);
                assertTrue(other.startsWith("HTTP/1.1 503"), "another connection is refused at once: " + other);
                assertEquals(0, eager.getInputStream().available(), "the eager connection's request is still held");
                String held = exchange(eager, "");
                assertTrue(held.startsWith("HTTP/1.1 503") && held.contains("Retry-After: 1"), "still full after the hold: " + held);
                eager.getOutputStream().write("GET /predictions/model0?seq_0=held HTTP/1.1\r\nHost: x\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII)); // held again
                model.gate.countDown(); // the queue empties meanwhile
                String admitted = exchange(eager, "");
                assertTrue(admitted.startsWith("HTTP/1.1 200") && admitted.contains("held"), "admitted once its hold is up: " + admitted);
            }
            assertEquals(200, first.get(30, TimeUnit.SECONDS).statusCode());
            assertEquals(200, queued.get(30, TimeUnit.SECONDS).statusCode());
            assertFalse(model.computed.contains("again"));
            String metrics = ServingCoreTest.get(s, "/metrics").body();
            assertTrue(metrics.contains("jdo_refused_total{model=\"model0\",reason=\"queue_full\"} 3.0"), "each refusal counted once: " + metrics);
        } finally {
            model.gate.countDown();
            s.drain();
        }
    }

    @Test
    void pastMaxConnectionsAPredictionGetsA503ThatClosesItsConnection() throws Exception {
        ServingCoreTest.GatedModel model = new ServingCoreTest.GatedModel(0);
        model.gate.countDown();
        ModelServer s = ServingCoreTest.start(model, 1, Map.of("MAX_CONNECTIONS", "2"));
        try {
            try (Socket a = new Socket("127.0.0.1", s.port()); Socket b = new Socket("127.0.0.1", s.port())) {
                for (Socket idle : List.of(a, b)) { // both open on the server's side: each answered once, kept alive
                    assertTrue(exchange(idle, "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n").startsWith("HTTP/1.1 200"));
                }
                try (Socket third = new Socket("127.0.0.1", s.port())) {
                    third.setSoTimeout(30_000); // a hang fails the test
                    String body = "{\"seq_0\": \"who?\", \"seq_1\": \"me\"}";
                    String answer = readAll(third, "POST /predictions/model0 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + body.length() + "\r\n\r\n" + body);
                    assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
                    assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), answer);
                    assertTrue(answer.contains("Retry-After: 1"), answer);
                    assertTrue(answer.contains("MAX_CONNECTIONS=2"), answer);
                    // readAll returned: the server closed the connection after the answer
                }
                String health = exchange(a, "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
                assertTrue(health.startsWith("HTTP/1.1 200"), "status routes are answered past the bound: " + health);
            }
            assertFalse(model.computed.contains("who?"));
            // the idle ones closed: predictions are taken again (once the server has seen them close)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int status;
            do {
                status = ServingCoreTest.get(s, "/predictions/model0?seq_0=within").statusCode();
            } while (status != 200 && System.nanoTime() < deadline);
            assertEquals(200, status);
            String metrics = ServingCoreTest.get(s, "/metrics").body();
            assertTrue(metrics.contains("reason=\"connections\"} "), metrics);
        } finally {
            s.drain();
        }
    }

    /** One request and its answer's head and body on a kept-alive connection. */
    private static String exchange(Socket socket, String request) throws Exception {
        socket.setSoTimeout(30_000);
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        byte[] buffer = new byte[8192];
        int n = socket.getInputStream().read(buffer);
        return new String(buffer, 0, Math.max(0, n), StandardCharsets.US_ASCII);
    }

    /** One request's answer on a connection the server may have closed: empty when it has. */
    private static String readAllOrAnswer(Socket socket, String request) throws Exception {
        try {
            return exchange(socket, request);
        } catch (java.net.SocketException e) {
            return ""; // reset: the server closed it
        }
    }

    /** Sends the request and reads until the server closes the connection. */
    private static String readAll(Socket socket, String request) throws Exception {
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }

    /** Writes to both streams: the test reads the server's log while it still goes to the console. */
    private static final class TeeStream extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        TeeStream(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public synchronized void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
