///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//JAVAC_OPTIONS --release 21
//DEPS io.javalin:javalin:7.2.3
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.4
//DEPS io.prometheus:prometheus-metrics-core:1.10.0
//DEPS io.prometheus:prometheus-metrics-exposition-textformats:1.10.0
//DEPS org.slf4j:slf4j-simple:2.0.17
//DEPS ai.djl:api:0.36.0
//DEPS ai.djl.pytorch:pytorch-engine:0.36.0
//DEPS ai.djl.pytorch:pytorch-jni:2.7.1-0.36.0
//DEPS ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64
//DEPS ai.djl.huggingface:tokenizers:0.36.0
//SOURCES ServerSettings.java ServerMetrics.java ../lib/Models.java ../lib/QaCodec.java ../lib/CliError.java
package server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lib.CliError;
import lib.Models;

/**
 * The model server: NUM_MODELS copies of the traced model in one JVM, served over HTTP with the
 * original's API (GET /, /predictions/model<i>) plus liveness, readiness, /models and /metrics.
 * The HTTP server starts at once and the copies load in the background, so traffic that comes
 * too early gets a quick 503 instead of a hang. SIGTERM drains in-flight requests, then exits 0.
 */
public final class ModelServer {
    /** The original server's defaults, used when a request names no question or context. */
    static final String DEFAULT_QUESTION = "What does the little engine say";
    static final String DEFAULT_CONTEXT = "In the childrens story about the little engine a small locomotive is pulling a large load up a mountain.\n"
            + "    Since the load is heavy and the engine is small it is not sure whether it will be able to do the job. This is a story \n"
            + "    about how an optimistic attitude empowers everyone to achieve more. In the story the little engine says: 'I think I can' as it is \n"
            + "    pulling the heavy load all the way to the top of the mountain. On the way down it says: I thought I could.";

    private static final Pattern MODEL_ID = Pattern.compile("model(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One loaded model copy. It pools its own predictors, so it may be called from many threads. */
    interface ModelCopy extends AutoCloseable {
        Models.Answer answer(String question, String context, boolean postprocess) throws Exception;

        @Override
        void close();
    }

    /** Loads copy i (and warms it up). */
    interface Loader {
        ModelCopy load(int index) throws Exception;
    }

    enum State { LOADING, READY, DRAINING, FAILED }

    private final ServerSettings settings;
    private final Loader loader;
    private final Map<String, Object> metadata;
    private final ServerMetrics metrics = new ServerMetrics();
    private final ModelCopy[] copies;
    private final double[] loadSeconds;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Requests per copy now; beyond its predictors they queue (the queue depth metric). */
    private final AtomicInteger[] modelInFlight;
    private final int predictors;
    private final CountDownLatch loaded = new CountDownLatch(1);
    private volatile State state = State.LOADING;
    private volatile String failure;
    private Javalin app;

    ModelServer(ServerSettings settings, Loader loader, Map<String, Object> metadata) {
        this.settings = settings;
        this.loader = loader;
        this.metadata = metadata;
        this.copies = new ModelCopy[settings.numModels()];
        this.loadSeconds = new double[settings.numModels()];
        this.modelInFlight = new AtomicInteger[settings.numModels()];
        java.util.Arrays.setAll(modelInFlight, i -> new AtomicInteger());
        this.predictors = settings.predictors(Runtime.getRuntime().availableProcessors());
    }

    public static void main(String... args) {
        Models.quietEngineWarnings();
        ServerSettings settings;
        Map<String, Object> metadata;
        try {
            settings = ServerSettings.fromEnv(System.getenv());
            metadata = Models.metadata(settings.modelDir());
        } catch (ServerSettings.BadSetting | CliError e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        ModelServer server = new ModelServer(settings, loader(settings), metadata);
        server.start();
        // SIGTERM/SIGINT run shutdown hooks while request threads keep going: drain there, then exit 0
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.drain();
            Runtime.getRuntime().halt(0);
        }, "drain"));
        if (!server.awaitLoaded()) {
            Runtime.getRuntime().halt(1);
        }
    }

    /** Loads copies of the trace folder's model with DJL; every copy gets its own predictor pool. */
    static Loader loader(ServerSettings settings) {
        int cores = Runtime.getRuntime().availableProcessors();
        Models.Spec spec = Models.specOf(settings.modelDir(), settings.processor(), settings.intraOpThreads(cores), 1,
                settings.neuronLibraryPath());
        int predictors = settings.predictors(cores);
        return index -> {
            Models.QaModel model = Models.load(spec, predictors);
            model.warmUp();
            return new ModelCopy() {
                @Override
                public Models.Answer answer(String question, String context, boolean postprocess) {
                    return model.answer(question, context, postprocess);
                }

                @Override
                public void close() {
                    model.close();
                }
            };
        };
    }

    /** Starts HTTP at once, then loads the model copies in the background. */
    ModelServer start() {
        app = Javalin.create(config -> {
            config.concurrency.useVirtualThreads = true;
            config.startup.showJavalinBanner = false;
            config.jetty.host = settings.bindAddress();
            config.jetty.port = settings.port();
            config.routes.get("/", ctx -> json(ctx, 200, Map.of("Status", "Healthy")));
            config.routes.get("/health/live", ctx -> json(ctx, 200, Map.of("status", "alive")));
            config.routes.get("/health/ready", this::ready);
            config.routes.get("/ping", this::ready);
            config.routes.get("/models", this::models);
            config.routes.get("/metrics", ctx -> ctx.contentType(ServerMetrics.contentType()).result(metrics.scrape()));
            config.routes.get("/predictions/{model}", this::predict);
            config.routes.post("/predictions/{model}", this::predict);
            for (HandlerType method : List.of(HandlerType.PUT, HandlerType.DELETE, HandlerType.PATCH)) {
                config.routes.addHttpHandler(method, "/predictions/{model}", ctx ->
                        json(ctx, 405, detail("method " + ctx.method() + " is not allowed here; use GET or POST")));
            }
            config.routes.error(404, ctx -> {
                if (!String.valueOf(ctx.res().getContentType()).startsWith("application/json")) {
                    json(ctx, 404, detail("not found: " + ctx.path()));
                }
            });
            config.routes.exception(Exception.class, (e, ctx) -> {
                log("level=error event=unhandled path=%s error=%s", ctx.path(), e.toString());
                json(ctx, 500, detail("internal error: " + e.getClass().getSimpleName()));
            });
        }).start();
        log("level=info event=listening address=%s port=%d models=%d processor=%s", settings.bindAddress(), port(),
                settings.numModels(), processor());
        Thread.ofPlatform().name("model-loader").start(this::loadAll);
        return this;
    }

    int port() {
        return app.port();
    }

    private String processor() {
        return settings.processor().isEmpty() ? String.valueOf(metadata.getOrDefault("processor", "cpu")) : settings.processor();
    }

    /** Loads every copy, one after the other: they share the cores, so parallel loading gains little. */
    private void loadAll() {
        try {
            for (int i = 0; i < copies.length && state == State.LOADING; i++) {
                long start = System.nanoTime();
                copies[i] = loader.load(i);
                loadSeconds[i] = (System.nanoTime() - start) / 1e9;
                metrics.loadSeconds.labelValues("model" + i).set(loadSeconds[i]);
                metrics.modelsReady.set(i + 1);
                log("level=info event=model_loaded model=model%d seconds=%.2f", i, loadSeconds[i]);
            }
            if (state == State.LOADING) {
                state = State.READY;
                log("level=info event=ready models=%d", copies.length);
            }
        } catch (Throwable e) {
            failure = e.getMessage() == null ? e.toString() : e.getMessage();
            state = State.FAILED;
            log("level=error event=load_failed error=\"%s\"", failure.replace("\"", "'"));
        } finally {
            loaded.countDown();
        }
    }

    /** Waits until every copy is loaded; false when loading failed. */
    boolean awaitLoaded() {
        try {
            loaded.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return state != State.FAILED;
    }

    private int readyCount() {
        int n = 0;
        for (ModelCopy c : copies) {
            n += c == null ? 0 : 1;
        }
        return n;
    }

    private void ready(Context ctx) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", state.name().toLowerCase());
        body.put("models", copies.length);
        body.put("ready", readyCount());
        if (failure != null) {
            body.put("detail", failure);
        }
        json(ctx, state == State.READY ? 200 : 503, body);
    }

    private void models(Context ctx) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (int i = 0; i < copies.length; i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", "model" + i);
            m.put("status", copies[i] != null ? "ready" : state == State.FAILED ? "failed" : "loading");
            m.put("processor", processor());
            m.put("sequence_length", metadata.get("sequence_length"));
            m.put("model", metadata.get("model"));
            m.put("predictors", predictors);
            if (copies[i] != null) {
                m.put("load_seconds", Math.round(loadSeconds[i] * 1000) / 1000.0);
            }
            list.add(m);
        }
        json(ctx, 200, Map.of("models", list));
    }

    private void predict(Context ctx) {
        long start = System.nanoTime();
        String modelParam = ctx.pathParam("model");
        Matcher m = MODEL_ID.matcher(modelParam);
        int index = m.matches() && m.group(1).length() < 6 ? Integer.parseInt(m.group(1)) : -1;
        boolean known = index >= 0 && index < copies.length;
        // metric labels name only models the server has: any other path would add a series forever
        String label = known ? "model" + index : "unknown";
        boolean truncated = false;
        inFlight.incrementAndGet();
        metrics.inFlight.inc();
        try {
            if (!known) {
                // the original's message, for any model it does not have
                json(ctx, 404, detail("Model " + modelParam + " does not exist. Try a model name up to model" + (copies.length - 1)));
                return;
            }
            if (state != State.READY) {
                ctx.header("Retry-After", "5");
                json(ctx, 503, detail(switch (state) {
                    case LOADING -> "models are loading (" + readyCount() + " of " + copies.length + " ready); try again soon";
                    case DRAINING -> "the server is shutting down";
                    default -> "the models failed to load: " + failure;
                }));
                return;
            }
            String[] pair;
            try {
                pair = question(ctx);
            } catch (IllegalArgumentException e) {
                json(ctx, 400, detail(e.getMessage()));
                return;
            }
            ModelCopy copy = copies[index];
            Models.Answer answer;
            int active = modelInFlight[index].incrementAndGet();
            metrics.queueDepth.labelValues(label).set(Math.max(0, active - predictors));
            try {
                answer = copy.answer(pair[0], pair[1], settings.postprocess());
            } catch (Exception e) {
                log("level=error event=inference_failed model=%s error=\"%s\"", label, String.valueOf(e.getMessage()).replace("\"", "'"));
                json(ctx, 500, detail("inference failed: " + e.getClass().getSimpleName()));
                return;
            } finally {
                modelInFlight[index].decrementAndGet();
            }
            truncated = answer.truncated();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("detail", answer.text());
            if (truncated) {
                body.put("truncated", true);
            }
            json(ctx, 200, body);
        } finally {
            double seconds = (System.nanoTime() - start) / 1e9;
            inFlight.decrementAndGet();
            metrics.inFlight.dec();
            String code = Integer.toString(ctx.statusCode());
            metrics.requests.labelValues(label, code).inc();
            metrics.latency.labelValues(label).observe(seconds);
            if (ctx.statusCode() >= 400) {
                metrics.errors.labelValues(label, code).inc();
            }
            if (!settings.quiet() || ctx.statusCode() >= 500) {
                log("level=%s event=request method=%s path=%s status=%d ms=%.1f truncated=%s", ctx.statusCode() >= 500 ? "error" : "info",
                        ctx.method(), ctx.path(), ctx.statusCode(), seconds * 1000, truncated);
            }
        }
    }

    /** seq_0 and seq_1 from the query (GET) or a JSON or form body (POST); absent ones take the defaults. */
    static String[] question(Context ctx) {
        String q;
        String c;
        if (ctx.method() == HandlerType.POST) {
            byte[] raw = ctx.bodyAsBytes();
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("the request body is not valid UTF-8");
            }
            String type = String.valueOf(ctx.contentType());
            if (type.startsWith("application/x-www-form-urlencoded")) {
                q = ctx.formParam("seq_0");
                c = ctx.formParam("seq_1");
            } else if (text.isBlank()) {
                q = null;
                c = null;
            } else {
                JsonNode body;
                try {
                    body = JSON.readTree(text);
                } catch (Exception e) {
                    throw new IllegalArgumentException("the request body is not valid JSON");
                }
                if (!body.isObject()) {
                    throw new IllegalArgumentException("the request body must be a JSON object with seq_0 and seq_1");
                }
                q = text(body, "seq_0");
                c = text(body, "seq_1");
            }
        } else {
            q = ctx.queryParam("seq_0");
            c = ctx.queryParam("seq_1");
        }
        if (q != null && q.isBlank()) {
            throw new IllegalArgumentException("seq_0 (the question) is empty");
        }
        if (c != null && c.isBlank()) {
            throw new IllegalArgumentException("seq_1 (the context) is empty");
        }
        return new String[] {q == null ? DEFAULT_QUESTION : q, c == null ? DEFAULT_CONTEXT : c};
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(field + " must be a string");
        }
        return v.asText();
    }

    private static Map<String, Object> detail(String text) {
        return Map.of("detail", text);
    }

    /** Compact JSON like the original's FastAPI responses. */
    private static int json(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json").result(JSON.writeValueAsString(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return status;
    }

    /**
     * On SIGTERM: readiness turns 503 and new predictions are refused, in-flight ones finish (for
     * at most DRAIN_SECONDS), then HTTP stops and the models close.
     */
    void drain() {
        log("level=info event=draining in_flight=%d", inFlight.get());
        state = State.DRAINING;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.drainSeconds());
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (inFlight.get() > 0) {
            log("level=warn event=drain_timeout in_flight=%d", inFlight.get());
        }
        app.stop();
        for (ModelCopy c : copies) {
            if (c != null) {
                c.close();
            }
        }
        log("level=info event=stopped");
    }

    private static void log(String format, Object... args) {
        System.out.println("ts=" + Instant.now() + " " + String.format(java.util.Locale.ROOT, format, args));
        System.out.flush();
    }
}
