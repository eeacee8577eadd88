package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.TracedModel;

/** A real server on a loopback port serving the bundled model, checked over real HTTP. */
class ModelServerTest {
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path modelDir;
    static ModelServer server;
    static String base;

    static ServerSettings settings(Path modelDir, int numModels, int predictors) {
        return settings(modelDir, numModels, predictors, Map.of());
    }

    /** A loopback server's settings, no drain delay; more maps the environment's other keys. */
    static ServerSettings settings(Path modelDir, int numModels, int predictors, Map<String, String> more) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("MODEL_DIR", modelDir.toString(), "NUM_MODELS",
                Integer.toString(numModels), "PREDICTORS_PER_MODEL", Integer.toString(predictors), "PORT", "0",
                "BIND_ADDRESS", "127.0.0.1", "DRAIN_SECONDS", "5", "DRAIN_DELAY", "0"));
        env.putAll(more);
        return ServerSettings.fromEnv(env);
    }

    @Test
    void aPortInUseIsAOneLineErrorNotAServerWithoutItsPort() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            ModelServer s = new ModelServer(settings(modelDir, 1, 1, Map.of("PORT", Integer.toString(port))), (m, i) -> new FakeModel(false),
                    Map.of());
            ServerSettings.BadSetting e = org.junit.jupiter.api.Assertions.assertThrows(ServerSettings.BadSetting.class, s::start);
            assertEquals("cannot listen on 127.0.0.1 PORT=" + port + ": address already in use", e.getMessage());
        }
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            ModelServer s = new ModelServer(settings(modelDir, 1, 1, Map.of("PROBE_PORT", Integer.toString(port))),
                    (m, i) -> new FakeModel(false), Map.of());
            ServerSettings.BadSetting e = org.junit.jupiter.api.Assertions.assertThrows(ServerSettings.BadSetting.class, s::start);
            assertEquals("cannot listen on 127.0.0.1 PROBE_PORT=" + port + ": address already in use", e.getMessage());
        }
    }

    @BeforeAll
    static void start() throws Exception {
        modelDir = TracedModel.bundled(dir, Map.of());
        ServerSettings s = settings(modelDir, 2, 2);
        server = new ModelServer(s, ModelServer.loader(s), lib.model.ModelSpec.metadata(modelDir)).start();
        assertTrue(server.awaitLoaded());
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stop() {
        server.drain();
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> send(String method, String path, String type, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        if (type != null) {
            b.header("Content-Type", type);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String q(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static void assertDetail(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        assertTrue(JSON.readTree(r.body()).get("detail").isTextual(), r.body());
        assertFalse(r.body().contains("Exception:") || r.body().contains("\tat "), "no stack trace: " + r.body());
    }

    @Test
    void theOriginalApiAnswersWithTheOriginalShapes() throws Exception {
        HttpResponse<String> health = get("/");
        assertEquals(200, health.statusCode());
        assertEquals("{\"Status\":\"Healthy\"}", health.body());

        HttpResponse<String> answer = get("/predictions/model0?seq_0=" + q("What does the little engine say?"));
        assertDetail(answer, 200);
        JsonNode body = JSON.readTree(answer.body());
        assertEquals(List.of("detail"), iterate(body), "only detail, like the original");
        assertFalse(body.get("detail").asText().isBlank());

        HttpResponse<String> missing = get("/predictions/model2");
        assertDetail(missing, 404);
        assertEquals("{\"detail\":\"Model model2 does not exist. Try a model name up to model1\"}", missing.body());
        assertEquals("{\"detail\":\"Model modelX does not exist. Try a model name up to model1\"}", get("/predictions/modelX").body());
        assertDetail(get("/predictions/model99999999999"), 404);
    }

    static List<String> iterate(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void defaultsAndTheSameAnswerForGetAndPost() throws Exception {
        String viaGet = get("/predictions/model1").body();
        String json = "{\"seq_0\": \"" + Handlers.DEFAULT_QUESTION + "\", \"seq_1\": " + JSON.writeValueAsString(Handlers.DEFAULT_CONTEXT) + "}";
        HttpResponse<String> viaPost = send("POST", "/predictions/model1", "application/json", json.getBytes(StandardCharsets.UTF_8));
        assertEquals(viaGet, viaPost.body());
        HttpResponse<String> form = send("POST", "/predictions/model1", "application/x-www-form-urlencoded",
                ("seq_0=" + q(Handlers.DEFAULT_QUESTION)).getBytes(StandardCharsets.UTF_8));
        assertEquals(viaGet, form.body(), "the original client's --post sent form data");
        assertEquals(viaGet, send("POST", "/predictions/model1", "application/json", new byte[0]).body(), "empty body: defaults");
    }

    @Test
    void badInputGetsTheRight4xxAndJson() throws Exception {
        assertDetail(get("/predictions/model0?seq_0="), 400);
        assertDetail(get("/predictions/model0?seq_0=what&seq_1=%20"), 400);
        assertDetail(send("POST", "/predictions/model0", "application/json", "{bad".getBytes(StandardCharsets.UTF_8)), 400);
        assertDetail(send("POST", "/predictions/model0", "application/json", "[1, 2]".getBytes(StandardCharsets.UTF_8)), 400);
        assertDetail(send("POST", "/predictions/model0", "application/json", "{\"seq_0\": 7}".getBytes(StandardCharsets.UTF_8)), 400);
        assertDetail(send("POST", "/predictions/model0", "application/json", new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}), 400);
        assertEquals("{\"detail\":\"the request body is not valid UTF-8\"}",
                send("POST", "/predictions/model0", "application/json", new byte[] {(byte) 0xFF}).body());
        assertDetail(send("PUT", "/predictions/model0", null, new byte[0]), 405);
        assertDetail(send("DELETE", "/predictions/model0", null, new byte[0]), 405);
        assertDetail(get("/no/such/path"), 404);
    }

    @Test
    void longTextIsTruncatedAndSaysSo() throws Exception {
        HttpResponse<String> r = get("/predictions/model0?seq_0=" + q("what does it say?") + "&seq_1=" + q("the engine says hello. ".repeat(200)));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(JSON.readTree(r.body()).get("truncated").asBoolean(), r.body());
        assertFalse(JSON.readTree(get("/predictions/model0?seq_0=who&seq_1=" + q("a short context")).body()).has("truncated"));
    }

    @Test
    void healthModelsAndMetrics() throws Exception {
        assertEquals(200, get("/health/live").statusCode());
        HttpResponse<String> ready = get("/health/ready");
        assertEquals(200, ready.statusCode());
        assertEquals("{\"status\":\"ready\",\"models\":2,\"ready\":2}", ready.body());
        assertEquals(200, get("/ping").statusCode());
        JsonNode models = JSON.readTree(get("/models").body()).get("models");
        assertEquals(2, models.size());
        assertEquals("model1", models.get(1).get("id").asText());
        assertEquals("ready", models.get(1).get("status").asText());
        assertEquals(128, models.get(0).get("sequence_length").asInt());
        get("/predictions/model0");
        get("/predictions/model5");
        get("/predictions/nonsense-1");
        get("/predictions/model00");
        HttpResponse<String> metrics = get("/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        String text = metrics.body();
        for (String expected : new String[] {"jdo_requests_total{model=\"model0\",status=\"200\"}", "jdo_errors_total{model=\"unknown\",status=\"404\"}",
                "jdo_request_duration_seconds_bucket{model=\"model0\",le=\"0.1\"}", "jdo_requests_in_flight", "jdo_queue_depth{model=\"model0\"}",
                "jdo_model_load_seconds{model=\"model1\"}", "jdo_models_ready 2.0"}) {
            assertTrue(text.contains(expected), expected + " in\n" + text);
        }
        // labels name the server's models only, whatever paths clients ask for
        assertTrue(!text.contains("model5") && !text.contains("nonsense") && !text.contains("model00"), text);
    }

    @Test
    void manyParallelClientsGetTheSequentialAnswerWithoutErrors() throws Exception {
        String path = "/predictions/model0?seq_0=" + q("What does the little engine say?");
        String expected = get(path).body();
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < 32; t++) {
                int model = t % 2;
                results.add(pool.submit(() -> {
                    List<String> bodies = new ArrayList<>();
                    for (int i = 0; i < 8; i++) {
                        HttpResponse<String> r = get(path.replace("model0", "model" + model));
                        bodies.add(r.statusCode() + " " + r.body());
                    }
                    return bodies;
                }));
            }
            for (Future<List<String>> f : results) {
                for (String body : f.get()) {
                    assertEquals("200 " + expected, body);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** A model that answers "ok", or always fails: for states the real model cannot show on demand. */
    static final class FakeModel implements ServedModel {
        final boolean fail;

        FakeModel(boolean fail) {
            this.fail = fail;
        }

        @Override
        public lib.model.QaCodec.Encoded encode(String question, String context) {
            return new lib.model.QaCodec.Encoded(new long[] {question.length()}, new long[] {1}, false);
        }

        @Override
        public Runner newRunner() {
            return (batch, postprocess) -> {
                if (fail) {
                    throw new IllegalStateException("boom");
                }
                return batch.stream().map(e -> new lib.model.Answer("ok", 0, 1, false, 0)).toList();
            };
        }

        @Override
        public void close() {
        }
    }

    @Test
    void trafficBeforeTheModelsAreLoadedGets503AtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ModelServer loading = new ModelServer(settings(modelDir, 2, 1), (m, i) -> {
            release.await();
            return new FakeModel(false);
        }, Map.of("sequence_length", 128)).start();
        try {
            String url = "http://127.0.0.1:" + loading.port();
            HttpResponse<String> early = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/predictions/model0")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, early.statusCode());
            assertEquals("{\"detail\":\"models are loading (0 of 2 ready); try again soon\"}", early.body());
            assertEquals("5", early.headers().firstValue("Retry-After").orElse(""));
            assertEquals(503, HTTP.send(HttpRequest.newBuilder(URI.create(url + "/health/ready")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create(url + "/health/live")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            release.countDown();
            assertTrue(loading.awaitLoaded());
            assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create(url + "/health/ready")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals("{\"detail\":\"ok\"}", HTTP.send(HttpRequest.newBuilder(URI.create(url + "/predictions/model1")).build(), HttpResponse.BodyHandlers.ofString()).body());
        } finally {
            loading.drain();
        }
    }

    @Test
    void anInferenceFailureIs500AndTheServerKeepsServing() throws Exception {
        ModelServer.Loader separate = new ModelServer.Loader() {
            @Override
            public ServedModel load(ModelSource source, int copy) {
                return new FakeModel(copy == 0);
            }

            @Override
            public boolean sharedWeights() {
                return false; // as on inf1/inf2: each copy loads its own
            }
        };
        ModelServer failing = new ModelServer(settings(modelDir, 2, 1), separate, Map.of()).start();
        try {
            assertTrue(failing.awaitLoaded());
            String url = "http://127.0.0.1:" + failing.port();
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/predictions/model0")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(500, r.statusCode());
            assertEquals("{\"detail\":\"inference failed: IllegalStateException\"}", r.body());
            assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create(url + "/predictions/model1")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        } finally {
            failing.drain();
        }
    }

    @Test
    void aModelThatCannotLoadFailsReadinessWithTheReason() throws Exception {
        ModelServer broken = new ModelServer(settings(modelDir, 1, 1), (m, i) -> {
            throw new java.io.IOException("cannot load /x/model.pt: bad file");
        }, Map.of()).start();
        try {
            assertFalse(broken.awaitLoaded());
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broken.port() + "/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, r.statusCode());
            assertEquals("{\"status\":\"failed\",\"models\":1,\"ready\":0,\"detail\":\"model tiny-bert-qa failed to load: cannot load /x/model.pt: bad file\"}", r.body());
        } finally {
            broken.drain();
        }
    }
}
