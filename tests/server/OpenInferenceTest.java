package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.TracedModel;

/** The Open Inference Protocol (KServe v2 REST) on a real server with the bundled model. */
class OpenInferenceTest {
    @TempDir
    static Path dir;
    static ModelServer server;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        Path modelDir = TracedModel.bundled(dir, Map.of());
        ServerSettings s = ModelServerTest.settings(modelDir, 2, 1);
        server = new ModelServer(s, ModelServer.loader(s), lib.model.ModelSpec.metadata(modelDir)).start();
        assertTrue(server.awaitLoaded());
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stop() {
        server.drain();
    }

    static HttpResponse<String> get(String path) throws Exception {
        return ModelServerTest.HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return ModelServerTest.HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        return ModelServerTest.JSON.readTree(r.body());
    }

    /** A request of n pairs; datatype and shape as given. */
    static String infer(List<String> questions, List<String> contexts, String datatype, String shape) throws Exception {
        String q = ModelServerTest.JSON.writeValueAsString(questions);
        String c = ModelServerTest.JSON.writeValueAsString(contexts);
        return "{\"id\": \"r1\", \"inputs\": [{\"name\": \"seq_0\", \"datatype\": \"" + datatype + "\", \"shape\": " + shape + ", \"data\": " + q
                + "}, {\"name\": \"seq_1\", \"datatype\": \"BYTES\", \"shape\": [" + contexts.size() + "], \"data\": " + c + "}]}";
    }

    static void assertError(HttpResponse<String> r, int status) throws Exception {
        JsonNode body = json(r, status);
        assertTrue(body.get("error").isTextual() && !body.get("error").asText().isBlank(), r.body());
        assertEquals(1, body.size(), "only error: " + r.body());
    }

    @Test
    void serverHealthAndMetadata() throws Exception {
        assertEquals("jdo-inference", json(get("/v2"), 200).get("name").asText());
        assertTrue(json(get("/v2/health/live"), 200).get("live").asBoolean());
        assertTrue(json(get("/v2/health/ready"), 200).get("ready").asBoolean());
        for (String name : List.of("model0", "model1", "tiny-bert-qa")) {
            JsonNode meta = json(get("/v2/models/" + name), 200);
            assertEquals(name, meta.get("name").asText());
            assertEquals("pytorch_torchscript", meta.get("platform").asText());
            assertEquals("seq_0", meta.get("inputs").get(0).get("name").asText());
            assertEquals("seq_1", meta.get("inputs").get(1).get("name").asText());
            assertEquals("BYTES", meta.get("inputs").get(1).get("datatype").asText());
            assertEquals("answer", meta.get("outputs").get(0).get("name").asText());
            assertEquals("BYTES", meta.get("outputs").get(0).get("datatype").asText());
            JsonNode ready = json(get("/v2/models/" + name + "/ready"), 200);
            assertTrue(ready.get("ready").asBoolean(), ready.toString());
        }
        assertError(get("/v2/models/nope"), 404);
        assertError(get("/v2/models/model7/ready"), 404);
    }

    @Test
    void inferGivesTheAnswersOfPredictionsForTheSamePairs() throws Exception {
        List<String> questions = List.of("What does the little engine say?", "What is the engine pulling?");
        List<String> contexts = List.of(OriginalApi.DEFAULT_CONTEXT, OriginalApi.DEFAULT_CONTEXT);
        JsonNode body = json(post("/v2/models/model1/infer", infer(questions, contexts, "BYTES", "[2]")), 200);
        assertEquals("model1", body.get("model_name").asText());
        assertEquals("r1", body.get("id").asText());
        JsonNode answer = body.get("outputs").get(0);
        assertEquals("answer", answer.get("name").asText());
        assertEquals("BYTES", answer.get("datatype").asText());
        assertEquals(List.of(2), List.of(answer.get("shape").get(0).asInt()));
        assertEquals(2, answer.get("data").size());
        for (int i = 0; i < questions.size(); i++) {
            HttpResponse<String> original = get("/predictions/model0?seq_0=" + ModelServerTest.q(questions.get(i))
                    + "&seq_1=" + ModelServerTest.q(contexts.get(i)));
            String expected = ModelServerTest.JSON.readTree(original.body()).get("detail").asText();
            assertFalse(expected.isBlank());
            assertEquals(expected, answer.get("data").get(i).asText(), questions.get(i));
        }
        // by the model's name too
        JsonNode byName = json(post("/v2/models/tiny-bert-qa/infer", infer(questions.subList(0, 1), contexts.subList(0, 1), "BYTES", "[1]")), 200);
        assertEquals(answer.get("data").get(0), byName.get("outputs").get(0).get("data").get(0));
    }

    @Test
    void badRequestsAre400WithAnError() throws Exception {
        List<String> one = List.of("What does the little engine say?");
        List<String> context = List.of(OriginalApi.DEFAULT_CONTEXT);
        assertError(post("/v2/models/model0/infer", "{\"inputs\": [ {\"name\": "), 400); // malformed JSON
        assertError(post("/v2/models/model0/infer", "[1, 2]"), 400);
        assertError(post("/v2/models/model0/infer", infer(one, context, "INT64", "[1]")), 400); // wrong datatype
        assertError(post("/v2/models/model0/infer", infer(one, context, "BYTES", "[3]")), 400); // shape does not match the data
        assertError(post("/v2/models/model0/infer", infer(one, List.of(OriginalApi.DEFAULT_CONTEXT, "x"), "BYTES", "[1]")), 400);
        assertError(post("/v2/models/model0/infer", "{\"inputs\": [{\"name\": \"seq_0\", \"datatype\": \"BYTES\", \"shape\": [1], "
                + "\"data\": [\"why?\"]}]}"), 400); // no seq_1
        assertError(post("/v2/models/model0/infer", new String(new byte[] {'{', (byte) 0xff, '}'}, StandardCharsets.ISO_8859_1)), 400);
        assertError(post("/v2/models/nope/infer", infer(one, context, "BYTES", "[1]")), 404);
    }
}
