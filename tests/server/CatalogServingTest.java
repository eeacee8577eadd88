package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import lib.model.QaCodec;
import lib.store.Placement;
import lib.trace.ModelVariants;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.TracedModel;

/**
 * A server of a store's catalog, on loopback with real models: an answer says when its request
 * waited for the model's load (X-Model-Load: cold) and a hit's does not, on both prediction APIs;
 * with its place among the servers (SERVER_INDEX of NUM_SERVERS, MODEL_REPLICAS) the server counts
 * each request as preferred or foreign by lib/store/Placement.
 */
class CatalogServingTest {
    @TempDir
    static Path dir;
    static Path primary;

    @BeforeAll
    static void model() throws Exception {
        primary = TracedModel.bundled(dir.resolve("project"), Map.of());
    }

    /** The first of m0, m1, ... that server 0 of 2 is (or is not) preferred for, with one replica. */
    static String placedOnServer0(boolean preferred) {
        return IntStream.range(0, 100).mapToObj(i -> "m" + i).filter(n -> Placement.prefers(n, 0, 2, 1) == preferred).findFirst()
                .orElseThrow();
    }

    static HttpResponse<String> get(ModelServer s, String model) throws Exception {
        return ServingCoreTest.get(s, "/predictions/" + model + "?seq_0=" + ModelServerTest.q(QaCodec.SAMPLE_QUESTION));
    }

    static HttpResponse<String> infer(ModelServer s, String model) throws Exception {
        String body = OpenInferenceTest.infer(List.of(QaCodec.SAMPLE_QUESTION), List.of(OriginalApi.DEFAULT_CONTEXT), "BYTES", "[1]");
        return ModelServerTest.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/v2/models/" + model + "/infer"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The X-Model-Load header of a 200 answer, or "" when it has none. */
    static String load(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        return r.headers().firstValue("X-Model-Load").orElse("");
    }

    @Test
    void aColdLoadIsMarkedOnItsAnswerAndEachRequestIsCountedByPlacement() throws Exception {
        String preferred = placedOnServer0(true);
        String foreign = placedOnServer0(false);
        String models = preferred + "=" + ModelVariants.write(primary, dir.resolve(preferred), preferred, 1.001f) + ","
                + foreign + "=" + ModelVariants.write(primary, dir.resolve(foreign), foreign, 1.002f);
        ServerSettings settings = ModelServerTest.settings(primary, 1, 1, Map.of("MODELS", models, "MODEL_MEMORY_BUDGET", "1Gi",
                "PINNED_MODELS", "tiny-bert-qa", "SERVER_INDEX", "0", "NUM_SERVERS", "2", "MODEL_REPLICAS", "1"));
        ModelServer s = new ModelServer(settings, ModelServer.loader(settings), lib.model.ModelSpec.metadata(primary)).start();
        try {
            assertTrue(s.awaitLoaded());
            assertEquals("", load(get(s, "tiny-bert-qa")), "a pinned model is loaded at start: never cold");
            assertEquals("cold", load(get(s, preferred)), "the first request waits for the load");
            assertEquals("", load(get(s, preferred)), "the second finds the model in memory");
            assertEquals("cold", load(infer(s, foreign)), "the same on /v2");
            assertEquals("", load(infer(s, foreign)));
            String metrics = ServingCoreTest.get(s, "/metrics").body();
            assertTrue(metrics.contains("jdo_placement_requests_total{model=\"" + preferred + "\",placement=\"preferred\"} 2.0"), metrics);
            assertTrue(metrics.contains("jdo_placement_requests_total{model=\"" + foreign + "\",placement=\"foreign\"} 2.0"), metrics);
            assertFalse(metrics.contains("jdo_placement_requests_total{model=\"" + preferred + "\",placement=\"foreign\"}"), metrics);
            String primaryPlace = Placement.prefers("tiny-bert-qa", 0, 2, 1) ? "preferred" : "foreign";
            assertTrue(metrics.contains("jdo_placement_requests_total{model=\"tiny-bert-qa\",placement=\"" + primaryPlace + "\"} 1.0"), metrics);
        } finally {
            s.drain();
        }
    }

    @Test
    void withoutAPlaceNothingIsCountedByPlacementAndAPartialPlaceIsOneLine() throws Exception {
        ServerSettings plain = ModelServerTest.settings(primary, 1, 1, ManyModelsTest.env("", "1000", "main"));
        ModelServer s = new ModelServer(plain, new ManyModelsTest.Named(), Map.of()).start();
        try {
            assertTrue(s.awaitLoaded());
            assertEquals("main", ManyModelsTest.answer(s, "main"));
            String metrics = ServingCoreTest.get(s, "/metrics").body();
            assertTrue(metrics.contains("jdo_model_requests_total{model=\"main\""), metrics);
            assertFalse(metrics.contains("jdo_placement_requests_total{"), metrics);
        } finally {
            s.drain();
        }
        ServerSettings.BadSetting partial = assertThrows(ServerSettings.BadSetting.class,
                () -> ModelServerTest.settings(primary, 1, 1, Map.of("SERVER_INDEX", "1")));
        assertEquals("SERVER_INDEX, NUM_SERVERS and MODEL_REPLICAS place a catalog's models: set all three or none", partial.getMessage());
        ServerSettings.BadSetting outside = assertThrows(ServerSettings.BadSetting.class,
                () -> ModelServerTest.settings(primary, 1, 1, Map.of("SERVER_INDEX", "2", "NUM_SERVERS", "2", "MODEL_REPLICAS", "1")));
        assertEquals("SERVER_INDEX=2 must be a whole number from 0 to 1", outside.getMessage());
    }
}
