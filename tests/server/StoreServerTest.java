package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lib.runtime.Readiness;
import lib.store.Blobs;
import lib.store.ModelStores;
import lib.store.Publisher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import support.S3Server;
import support.TracedModel;

/**
 * A server process whose models come from a real S3-compatible server on loopback: it answers from
 * what it pulled, a missing or corrupt model fails alone with a JSON answer naming it, and a store
 * that cannot be reached keeps readiness 503 with the reason while liveness stays 200.
 */
class StoreServerTest {
    @TempDir
    Path dir;

    Process start(Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "server.ModelServer")
                .redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    String log() {
        try {
            return Files.readString(dir.resolve("server.log"));
        } catch (IOException e) {
            return "";
        }
    }

    Map<String, String> env(String endpoint, String models, int port) {
        Map<String, String> env = new HashMap<>(Map.of("MODEL_STORE", "s3://models/srv", "S3_ENDPOINT", endpoint,
                "MODEL_CACHE_DIR", dir.resolve("cache").toString(), "MODEL_CACHE_SIZE", "1Gi", "STORE_MODELS", models,
                "NUM_MODELS", "1", "PREDICTORS_PER_MODEL", "1", "PORT", Integer.toString(port), "BIND_ADDRESS", "127.0.0.1",
                "QUIET", "True"));
        env.putAll(Map.of("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY, "AWS_REGION", "us-east-1",
                "PROCESSOR", "cpu"));
        return env;
    }

    static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aServerAnswersFromPulledModelsAndAMissingOrCorruptOneFailsAlone() throws Exception {
        Path trace = TracedModel.bundled(dir.resolve("project"), Map.of());
        String file = Files.list(trace).map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".pt")).findFirst().orElseThrow();
        try (S3Server s3 = S3Server.start()) {
            s3.createBucket("models");
            String version;
            try (Blobs store = ModelStores.open("s3://models/srv", s3.endpoint(), "us-east-1", s3.credentials())) {
                for (String name : List.of("good", "corrupt")) {
                    version = Publisher.publish(store, name, trace, file, List.of(file, "tokenizer.json", "metadata.json"), "fp32", "cpu")
                            .entry().version();
                }
            }
            version = lib.store.Manifest.sha256(trace.resolve(file)).substring(0, 12);
            byte[] damaged = Files.readAllBytes(trace.resolve(file));
            damaged[damaged.length / 2] ^= 1;
            try (var raw = s3.client()) {
                String key = "srv/corrupt/" + version + "/" + file;
                raw.putObject(r -> r.bucket("models").key(key), RequestBody.fromBytes(damaged));
            }
            int port = lib.runtime.LocalRuntime.freePort(19400, java.util.Set.of());
            Process p = start(env(s3.endpoint(), "good@" + version + ",corrupt@" + version + "*1,missing@0123456789ab*1", port));
            try {
                String base = "http://127.0.0.1:" + port;
                Readiness.await(Map.of("server", URI.create(base + "/health/ready")), Duration.ofSeconds(180),
                        n -> p.isAlive() ? null : "exited: " + log());
                assertEquals(200, get(base + "/predictions/good").statusCode(), log());
                HttpResponse<String> missing = get(base + "/predictions/missing");
                assertEquals(404, missing.statusCode(), missing.body());
                assertTrue(missing.body().startsWith("{") && missing.body().contains("model missing failed to load: model missing@0123456789ab"),
                        missing.body());
                HttpResponse<String> corrupt = get(base + "/predictions/corrupt");
                assertEquals(503, corrupt.statusCode(), corrupt.body());
                assertTrue(corrupt.body().contains("model corrupt") && corrupt.body().contains("refused"), corrupt.body());
                String models = get(base + "/models").body();
                assertTrue(models.contains("\"name\":\"corrupt\",\"status\":\"failed\""), models);
                assertTrue(models.contains("\"downloads\":1"), models);
                String metrics = get(base + "/metrics").body();
                assertTrue(metrics.contains("jdo_model_store_downloads{model=\"good\"} 1.0"), metrics);
                assertTrue(log().contains("event=model_pulled model=good"), log());
                assertFalse(log().contains(S3Server.SECRET_KEY), "the secret is never logged");
                assertFalse(Files.exists(dir.resolve("cache/corrupt/" + version + "/" + file)), "a corrupt file is never kept");
            } finally {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void anUnreachableStoreKeepsReadinessDownWithTheReasonAndLivenessUp() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        int port = lib.runtime.LocalRuntime.freePort(19500, java.util.Set.of());
        Process p = start(env("http://127.0.0.1:" + closed, "good@0123456789ab", port));
        try {
            String base = "http://127.0.0.1:" + port;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (log().split("event=store_unreachable", -1).length < 3 && System.nanoTime() < deadline && p.isAlive()) {
                Thread.sleep(200);
            }
            assertTrue(log().split("event=store_unreachable", -1).length >= 3, "one line per attempt, retried: " + log());
            HttpResponse<String> ready = get(base + "/health/ready");
            assertEquals(503, ready.statusCode(), ready.body());
            assertTrue(ready.body().contains("model store unreachable (attempt"), ready.body());
            assertEquals(200, get(base + "/health/live").statusCode());
            assertTrue(p.isAlive());
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * A lazily pulled model whose download outlasts the request's deadline: that request gets its
     * timeout answer (504), the download goes on, and the next request is answered from it (one
     * download). The store is reached through a proxy that lets at most 16 KiB through per 20 ms.
     */
    @Test
    void aRequestWhoseDeadlinePassesDuringALazyPullTimesOutAndThePullGoesOnForTheNext() throws Exception {
        Path trace = TracedModel.bundled(dir.resolve("project"), Map.of());
        String file = Files.list(trace).map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".pt")).findFirst().orElseThrow();
        try (S3Server s3 = S3Server.start(); SlowProxy slow = new SlowProxy(Integer.parseInt(s3.endpoint().replaceAll(".*:", "")))) {
            s3.createBucket("models");
            String version;
            try (Blobs store = ModelStores.open("s3://models/srv", s3.endpoint(), "us-east-1", s3.credentials())) {
                version = Publisher.publish(store, "lazy", trace, file, List.of(file, "tokenizer.json", "metadata.json"), "fp32", "cpu")
                        .entry().version();
            }
            int port = lib.runtime.LocalRuntime.freePort(19600, java.util.Set.of());
            Map<String, String> env = env("http://127.0.0.1:" + slow.port(), "lazy@" + version, port);
            // a budget and no pins: nothing loads at start, the model is pulled on its first request
            env.putAll(Map.of("MODEL_MEMORY_BUDGET", "1Gi", "REQUEST_TIMEOUT_MS", "1000"));
            Process p = start(env);
            try {
                String base = "http://127.0.0.1:" + port;
                Readiness.await(Map.of("server", URI.create(base + "/health/ready")), Duration.ofSeconds(180),
                        n -> p.isAlive() ? null : "exited: " + log());
                HttpResponse<String> late = get(base + "/predictions/lazy");
                assertEquals(504, late.statusCode(), late.body());
                assertTrue(late.body().startsWith("{") && late.body().contains("request_timeout_ms=1000"), late.body());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
                while (!log().contains("event=model_loaded model=lazy") && System.nanoTime() < deadline && p.isAlive()) {
                    Thread.sleep(200);
                }
                assertTrue(log().contains("event=model_pulled model=lazy"), "the pull went on after the deadline: " + log());
                HttpResponse<String> next = get(base + "/predictions/lazy");
                assertEquals(200, next.statusCode(), next.body());
                String models = get(base + "/models").body();
                assertTrue(models.contains("\"downloads\":1"), "one download: " + models);
            } finally {
                p.destroyForcibly();
            }
        }
    }

    /** A loopback TCP proxy whose answers come at most 16 KiB per 20 ms (requests pass as they come). */
    static final class SlowProxy implements AutoCloseable {
        private final java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());

        SlowProxy(int upstream) throws IOException {
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        java.net.Socket client = server.accept();
                        java.net.Socket store = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), upstream);
                        Thread.ofVirtual().start(() -> pump(client, store, 0));
                        Thread.ofVirtual().start(() -> pump(store, client, 20));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        private static void pump(java.net.Socket from, java.net.Socket to, long pauseMs) {
            byte[] buffer = new byte[16 * 1024];
            try (from; to) {
                for (int n; (n = from.getInputStream().read(buffer)) > 0; ) {
                    to.getOutputStream().write(buffer, 0, n);
                    if (pauseMs > 0) {
                        Thread.sleep(pauseMs);
                    }
                }
            } catch (IOException | InterruptedException e) {
                // one side closed: the other follows
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
