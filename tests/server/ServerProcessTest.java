package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import lib.runtime.Readiness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.TracedModel;

/** The server as its own process, as runtimes start it: environment in, signals, exit codes. */
class ServerProcessTest {
    @TempDir
    Path dir;

    Process start(Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "server.ModelServer")
                .redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    String log() throws IOException {
        return Files.readString(dir.resolve("server.log"));
    }

    @Test
    void badEnvironmentIsOneLineAndExitCode2() throws Exception {
        Process p = start(Map.of("MODEL_DIR", dir.toString(), "NUM_MODELS", "abc"));
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue());
        assertEquals("error: NUM_MODELS=abc must be a whole number from 1 to 1024", log().strip());
        Process noDir = start(Map.of("MODEL_DIR", dir.resolve("nope").toString()));
        assertTrue(noDir.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, noDir.exitValue());
        assertTrue(log().strip().startsWith("error: MODEL_DIR="), log());
    }

    @Test
    void sigtermLetsInFlightRequestsFinishThenExitsZero() throws Exception {
        Path model = TracedModel.bundled(dir.resolve("project"), Map.of("sequence_length", "512"));
        int port = lib.runtime.LocalRuntime.freePort(19200, java.util.Set.of());
        Process p = start(Map.of("MODEL_DIR", model.toString(), "NUM_MODELS", "1", "PREDICTORS_PER_MODEL", "1",
                "PORT", Integer.toString(port), "BIND_ADDRESS", "127.0.0.1", "QUIET", "True", "DRAIN_SECONDS", "60",
                "MAX_QUEUE", "64"));
        try {
            String base = "http://127.0.0.1:" + port;
            Readiness.await(Map.of("server", URI.create(base + "/health/ready")), java.time.Duration.ofSeconds(120),
                    n -> p.isAlive() ? null : "exited");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String context = "the little engine says: 'I think I can' as it pulls the load. ".repeat(60);
            List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                HttpRequest r = HttpRequest.newBuilder(URI.create(base + "/predictions/model0?seq_1="
                        + java.net.URLEncoder.encode(context + i, java.nio.charset.StandardCharsets.UTF_8))).build();
                inFlight.add(http.sendAsync(r, HttpResponse.BodyHandlers.ofString()));
            }
            // SIGTERM only once every request has reached the server, and some are still queued
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            double[] seen;
            do {
                seen = inFlightAndDone(http, base);
            } while (seen[0] + seen[1] < inFlight.size() && System.nanoTime() < deadline);
            assertEquals(inFlight.size(), (int) (seen[0] + seen[1]), "all requests arrived");
            assertTrue(seen[0] > 0, "some requests are still in flight when SIGTERM comes");
            p.toHandle().destroy();
            for (CompletableFuture<HttpResponse<String>> f : inFlight) {
                assertEquals(200, f.get(60, TimeUnit.SECONDS).statusCode(), "in-flight requests finish");
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), this::logOrEmpty);
            assertTrue(log().contains("event=draining"), this::logOrEmpty);
            assertTrue(log().contains("event=stopped"), this::logOrEmpty);
        } finally {
            p.destroyForcibly();
        }
    }

    /** jdo_requests_in_flight and the sum of jdo_requests_total, from /metrics. */
    static double[] inFlightAndDone(HttpClient http, String base) throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        double inFlight = 0;
        double done = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("jdo_requests_in_flight ")) {
                inFlight = Double.parseDouble(line.substring(line.indexOf(' ') + 1));
            } else if (line.startsWith("jdo_requests_total{")) {
                done += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return new double[] {inFlight, done};
    }

    String logOrEmpty() {
        try {
            return log();
        } catch (IOException e) {
            return "";
        }
    }
}
