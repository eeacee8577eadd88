package server;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import lib.model.Answer;

/**
 * The Open Inference Protocol (KServe v2 REST), so KServe, Triton's clients and perf_analyzer can
 * talk to the server: /v2 (server metadata), /v2/health/live and /ready, /v2/models/{name}
 * (metadata), /v2/models/{name}/ready and POST /v2/models/{name}/infer, {name} being a copy
 * (model<i>) or a model's name. A QA model takes two BYTES inputs of shape [n], seq_0 (the
 * questions) and seq_1 (their contexts), and gives a BYTES output answer of shape [n]: the n pairs
 * go to the batcher as n requests. Only JSON tensors: Triton's binary extension is refused with a 400.
 */
final class OpenInferenceApi {
    static final String PLATFORM = "pytorch_torchscript";
    private static final List<String> INPUTS = List.of("seq_0", "seq_1");
    private static final String OUTPUT = "answer";

    private final Predictions predictions;
    private final ClosedPeers closedPeers;
    private final Lifecycle lifecycle;
    private final ModelStore store;

    OpenInferenceApi(Predictions predictions, ClosedPeers closedPeers, Lifecycle lifecycle, ModelStore store) {
        this.predictions = predictions;
        this.closedPeers = closedPeers;
        this.lifecycle = lifecycle;
        this.store = store;
    }

    void routes(RoutesConfig routes) {
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("name", "jdo-inference");
        server.put("version", "1");
        server.put("extensions", List.of());
        routes.get("/v2", ctx -> ServerStatus.json(ctx, 200, server));
        routes.get("/v2/health/live", ctx -> ServerStatus.json(ctx, 200, Map.of("live", true)));
        routes.get("/v2/health/ready", ctx -> {
            boolean ready = lifecycle.state() == Lifecycle.State.READY;
            ServerStatus.json(ctx, ready ? 200 : 503, Map.of("ready", ready));
        });
        routes.get("/v2/models/{name}", this::metadata);
        routes.get("/v2/models/{name}/ready", this::ready);
        routes.post("/v2/models/{name}/infer", this::infer);
    }

    private void metadata(Context ctx) {
        String name = ctx.pathParam("name");
        predictions.copy(name); // 404 for a model the server does not have
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("versions", List.of());
        body.put("platform", PLATFORM);
        body.put("inputs", INPUTS.stream().map(OpenInferenceApi::bytesTensor).toList());
        body.put("outputs", List.of(bytesTensor(OUTPUT)));
        ServerStatus.json(ctx, 200, body);
    }

    private static Map<String, Object> bytesTensor(String name) {
        return Map.of("name", name, "datatype", "BYTES", "shape", List.of(-1));
    }

    /** Ready: the server takes predictions and the model is in memory, or (under a memory budget) loads when asked. */
    private void ready(Context ctx) {
        String name = ctx.pathParam("name");
        DistinctModel model = predictions.copy(name).distinct;
        DistinctModel.State state = store.state(model);
        boolean ready = lifecycle.state() == Lifecycle.State.READY
                && (state == DistinctModel.State.LOADED || !model.folder.pinned() && store.failure(model) == null);
        ServerStatus.json(ctx, ready ? 200 : 503, Map.of("name", name, "ready", ready));
    }

    private void infer(Context ctx) throws Exception {
        String name = ctx.pathParam("name");
        ModelCopy copy = predictions.copy(name);
        ctx.attribute(ErrorTable.MODEL_LABEL, copy.name);
        if (ctx.header("Inference-Header-Content-Length") != null) {
            throw ServerError.badRequest("binary tensor data is not supported; send the inputs as JSON");
        }
        RefusalPacing.admit(ctx, () -> predictions.refusal(copy), () -> infer(ctx, name, copy));
    }

    /** An admitted request: its body read and checked, its pairs predicted; done once the answer is written. */
    private CompletableFuture<Void> infer(Context ctx, String name, ModelCopy copy) {
        JsonNode request;
        try {
            request = ErrorTable.JSON.readTree(OriginalApi.utf8(ctx.bodyAsBytes()));
        } catch (ServerError e) {
            throw e;
        } catch (Exception e) {
            throw ServerError.badRequest("the request body is not valid JSON");
        }
        if (request == null || !request.isObject()) {
            throw ServerError.badRequest("the request body must be a JSON object with inputs");
        }
        List<Predictions.Pair> pairs = pairs(request);
        JsonNode id = request.get("id");
        return HttpApi.written(ctx, predictions.predict(copy, pairs, closedPeers.connected(ctx)), answers -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("model_name", name);
            if (id != null && id.isTextual()) {
                body.put("id", id.asText());
            }
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("name", OUTPUT);
            output.put("datatype", "BYTES");
            output.put("shape", List.of(answers.size()));
            output.put("data", answers.stream().map(Answer::text).toList());
            body.put("outputs", List.of(output));
            ServerStatus.json(ctx, 200, body);
        });
    }

    /** The pairs of seq_0 and seq_1; a 400 naming what is wrong. */
    static List<Predictions.Pair> pairs(JsonNode request) {
        JsonNode inputs = request.get("inputs");
        if (inputs == null || !inputs.isArray()) {
            throw ServerError.badRequest("inputs must be an array of tensors, here seq_0 (questions) and seq_1 (contexts)");
        }
        Map<String, List<String>> byName = new LinkedHashMap<>();
        for (JsonNode input : inputs) {
            String name = input.path("name").asText("");
            if (!INPUTS.contains(name)) {
                throw ServerError.badRequest("unknown input '" + name + "'; the inputs are seq_0 (questions) and seq_1 (contexts)");
            }
            if (byName.put(name, strings(name, input)) != null) {
                throw ServerError.badRequest("input " + name + " is given twice");
            }
        }
        for (String name : INPUTS) {
            if (!byName.containsKey(name)) {
                throw ServerError.badRequest("input " + name + " is missing; the inputs are seq_0 (questions) and seq_1 (contexts)");
            }
        }
        List<String> questions = byName.get("seq_0");
        List<String> contexts = byName.get("seq_1");
        if (questions.size() != contexts.size()) {
            throw ServerError.badRequest("seq_0 has " + questions.size() + " elements and seq_1 " + contexts.size() + "; each question needs its context");
        }
        if (questions.isEmpty()) {
            throw ServerError.badRequest("seq_0 and seq_1 are empty");
        }
        List<Predictions.Pair> pairs = new ArrayList<>(questions.size());
        for (int i = 0; i < questions.size(); i++) {
            pairs.add(new Predictions.Pair(questions.get(i), contexts.get(i)));
        }
        return pairs;
    }

    /** A BYTES tensor's elements, as strings; its shape must hold exactly them. */
    private static List<String> strings(String name, JsonNode input) {
        if (!"BYTES".equals(input.path("datatype").asText())) {
            throw ServerError.badRequest("input " + name + " has datatype " + input.path("datatype") + "; it must be BYTES");
        }
        JsonNode shape = input.get("shape");
        if (shape == null || !shape.isArray() || shape.isEmpty()) {
            throw ServerError.badRequest("input " + name + " needs a shape, e.g. [1]");
        }
        long count = 1;
        for (JsonNode d : shape) {
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw ServerError.badRequest("input " + name + " has shape " + shape + "; its dimensions must be whole numbers of 0 or more");
            }
            count *= d.asLong();
        }
        List<String> data = new ArrayList<>();
        flatten(name, input.get("data"), data);
        if (data.size() != count) {
            throw ServerError.badRequest("input " + name + " has shape " + shape + " but " + data.size() + " elements");
        }
        for (String s : data) {
            if (s.isBlank()) {
                throw ServerError.badRequest("input " + name + " has an empty element");
            }
        }
        return data;
    }

    /** Row-major elements, from a flat or nested array of strings. */
    private static void flatten(String name, JsonNode data, List<String> into) {
        if (data == null || !data.isArray()) {
            throw ServerError.badRequest("input " + name + " needs data: an array of strings");
        }
        for (JsonNode d : data) {
            if (d.isArray()) {
                flatten(name, d, into);
            } else if (d.isTextual()) {
                into.add(d.asText());
            } else {
                throw ServerError.badRequest("input " + name + " has an element that is not a string: " + d);
            }
        }
    }
}
