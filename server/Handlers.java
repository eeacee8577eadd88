package server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.common.uri.UriQuery;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.http.Method;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import lib.model.Answer;

/**
 * The HTTP handlers: parse a request, hand it to the model copy (computed on this thread when a
 * worker's share of the cores is idle, else queued, this thread waiting), answer. Health,
 * readiness and metrics never wait for a forward; failures are thrown as ServerError and turned
 * into JSON in one place ({@link Errors}).
 */
final class Handlers {
    /** The original server's defaults, used when a request names no question or context. */
    static final String DEFAULT_QUESTION = "What does the little engine say";
    static final String DEFAULT_CONTEXT = "In the childrens story about the little engine a small locomotive is pulling a large load up a mountain.\n"
            + "    Since the load is heavy and the engine is small it is not sure whether it will be able to do the job. This is a story \n"
            + "    about how an optimistic attitude empowers everyone to achieve more. In the story the little engine says: 'I think I can' as it is \n"
            + "    pulling the heavy load all the way to the top of the mountain. On the way down it says: I thought I could.";
    /** Where the handler leaves the model's metric label (model<i>, or unknown) in the request's context, for the request log. */
    static final String MODEL_ATTRIBUTE = "jdo.model";

    static final ObjectMapper JSON = new ObjectMapper();
    private static final long CHECK_PEER_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final ModelServer server;

    Handlers(ModelServer server) {
        this.server = server;
    }

    Reply ready() {
        Map<String, Object> body = new LinkedHashMap<>();
        ModelServer.State state = server.state();
        body.put("status", state.name().toLowerCase(java.util.Locale.ROOT));
        body.put("models", server.settings().totalCopies());
        body.put("ready", server.store().loadedCopies());
        if (server.failure() != null) {
            body.put("detail", server.failure());
        }
        return Reply.json(state == ModelServer.State.READY ? 200 : 503, body);
    }

    /** Every copy (model<i>) with the distinct model it serves and whether that model is in memory. */
    Reply models() {
        ModelStore store = server.store();
        List<Map<String, Object>> list = new ArrayList<>();
        for (ModelCopy copy : store.copies()) {
            ModelStore.Stored stored = copy.stored;
            ModelStore.State state = store.state(stored);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", copy.name);
            m.put("name", stored.name());
            m.put("status", switch (state) {
                case LOADED -> "ready";
                case LOADING -> "loading";
                case UNLOADED -> server.state() == ModelServer.State.FAILED ? "failed"
                        : stored.source.pinned() || server.state() == ModelServer.State.LOADING ? "loading" : "unloaded";
            });
            m.put("pinned", stored.source.pinned());
            m.put("processor", server.processor());
            m.put("sequence_length", stored.metadata.get("sequence_length"));
            m.put("model", stored.metadata.get("model"));
            m.put("bytes", stored.bytes);
            m.put("predictors", server.settings().predictors(ModelServer.cores()));
            ServedModel model = copy.model();
            if (state == ModelStore.State.LOADED && model != null) {
                m.put("load_seconds", Math.round(store.loadSeconds(stored) * 1000) / 1000.0);
                m.put("shared_weights", server.sharedWeights());
                m.put("batches", model.shapeNote());
                m.put("queued", copy.queue.size());
            }
            if (store.failure(stored) != null) {
                m.put("detail", store.failure(stored));
            }
            list.add(m);
        }
        return Reply.json(200, Map.of("models", list));
    }

    /**
     * The copy a path names: model<i> (the original's, numbered across the models), or a model's
     * name (its copy with the shortest queue).
     */
    private ModelCopy target(String modelParam) {
        ModelStore store = server.store();
        List<ModelCopy> copies = store.copies();
        Matcher m = lib.model.ModelEntries.COPY_ID.matcher(modelParam);
        if (m.matches() && m.group(1).length() < 6 && Integer.parseInt(m.group(1)) < copies.size()) {
            return copies.get(Integer.parseInt(m.group(1)));
        }
        ModelStore.Stored named = m.matches() ? null : store.named(modelParam);
        if (named == null) {
            // the original's message, for any model it does not have
            throw new ServerError(404, "Model " + modelParam + " does not exist. Try a model name up to model" + (copies.size() - 1)
                    + (store.models().size() > 1 ? " or one of " + store.models().stream().map(ModelStore.Stored::name).toList() : ""));
        }
        ModelCopy best = named.copies.get(0);
        for (ModelCopy c : named.copies) {
            if (c.queue.size() < best.queue.size()) {
                best = c;
            }
        }
        return best;
    }

    /**
     * Validates, then (once its model is in memory: at once, or after loading it) encodes and
     * queues the request, waits for a worker to run its batch (or runs it here), and writes the
     * answer, or its failure as JSON; the request counts as pending until then.
     */
    void predict(ServerRequest req, ServerResponse res) {
        ModelCopy copy = target(req.path().pathParameters().get("model"));
        // metric labels name only copies the server has: any other path would add a series forever
        req.context().register(MODEL_ATTRIBUTE, copy.name);
        server.admit(copy);
        String[] pair = question(req);
        if (copy.queue.full()) {
            throw server.refuseFull(copy); // before tokenizing: refusing must stay cheap
        }
        server.track(req);
        try {
            answer(res, compute(copy, pair, connected(req)));
        } catch (RuntimeException e) {
            server.errors().answer(req, res, e);
        } finally {
            ModelServer.untrack(req); // written by now, or it never will be
        }
    }

    /** The answer of the copy's model, computed here when its model is in memory and a worker's share is idle, else waited for. */
    private Answer compute(ModelCopy copy, String[] pair, BooleanSupplier connected) {
        int timeout = server.settings().batching().requestTimeoutMs();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
        ModelStore store = server.store();
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        Thread requestThread = Thread.currentThread();
        store.acquire(copy.stored).whenComplete((loaded, failed) -> {
            if (failed != null || answer.isDone()) {
                store.release(copy.stored);
                answer.completeExceptionally(failed != null ? failed : new CancellationException());
                return;
            }
            try {
                InferenceJob job = new InferenceJob(copy.model().encode(pair[0], pair[1]), connected);
                // run here only on the request thread (the model was in memory), never on a loader's
                if (!server.submit(copy, job, Thread.currentThread() == requestThread)) {
                    throw server.refuseFull(copy);
                }
                if (timeout > 0) {
                    job.result.orTimeout(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())), TimeUnit.MILLISECONDS);
                }
                job.result.whenComplete((a, e) -> {
                    store.release(copy.stored);
                    if (e != null) {
                        answer.completeExceptionally(e);
                    } else {
                        answer.complete(a);
                    }
                });
            } catch (RuntimeException e) {
                store.release(copy.stored);
                answer.completeExceptionally(e);
            }
        });
        if (timeout > 0) {
            answer.orTimeout(timeout, TimeUnit.MILLISECONDS); // also bounds the wait for a cold model's load
        }
        return answer.join(); // a virtual thread: waiting holds no carrier
    }

    private static void answer(ServerResponse res, Answer answer) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("detail", answer.text());
        if (answer.truncated()) {
            body.put("truncated", true);
        }
        json(res, 200, body);
    }

    /**
     * Whether the client is still connected. An HTTP/1.1 server does not read a connection while
     * its request waits, so a client that hung up goes unnoticed there; {@link ClosedPeers} asks
     * the kernel, for requests queued 10 ms or more: one that waited less costs little to compute
     * anyway.
     */
    private BooleanSupplier connected(ServerRequest req) {
        SocketAddress local = req.localPeer().address();
        SocketAddress remote = req.remotePeer().address();
        long since = System.nanoTime();
        return () -> System.nanoTime() - since < CHECK_PEER_AFTER_NANOS || !server.closedPeers().closed(local, remote);
    }

    /** seq_0 and seq_1 from the query (GET) or a JSON or form body (POST); absent ones take the defaults. */
    static String[] question(ServerRequest req) {
        String q;
        String c;
        if (req.prologue().method().equals(Method.POST)) {
            byte[] raw = req.content().hasEntity() ? req.content().as(byte[].class) : new byte[0];
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
            } catch (CharacterCodingException e) {
                throw ServerError.badRequest("the request body is not valid UTF-8");
            }
            String type = req.headers().contentType().map(HttpMediaType::text).orElse("");
            if (type.startsWith("application/x-www-form-urlencoded")) {
                UriQuery form = UriQuery.create(text); // a form body is encoded as a query is
                q = form.first("seq_0").orElse(null);
                c = form.first("seq_1").orElse(null);
            } else if (text.isBlank()) {
                q = null;
                c = null;
            } else {
                JsonNode body;
                try {
                    body = JSON.readTree(text);
                } catch (Exception e) {
                    throw ServerError.badRequest("the request body is not valid JSON");
                }
                if (!body.isObject()) {
                    throw ServerError.badRequest("the request body must be a JSON object with seq_0 and seq_1");
                }
                q = text(body, "seq_0");
                c = text(body, "seq_1");
            }
        } else {
            q = req.query().first("seq_0").orElse(null);
            c = req.query().first("seq_1").orElse(null);
        }
        if (q != null && q.isBlank()) {
            throw ServerError.badRequest("seq_0 (the question) is empty");
        }
        if (c != null && c.isBlank()) {
            throw ServerError.badRequest("seq_1 (the context) is empty");
        }
        return new String[] {q == null ? DEFAULT_QUESTION : q, c == null ? DEFAULT_CONTEXT : c};
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ServerError.badRequest(field + " must be a string");
        }
        return v.asText();
    }

    static void json(ServerResponse res, int status, Object body) {
        send(res, Reply.json(status, body));
    }

    static void send(ServerResponse res, Reply reply) {
        res.status(reply.status());
        res.header(HeaderNames.CONTENT_TYPE, reply.contentType());
        res.send(reply.body());
    }
}
