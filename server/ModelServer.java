///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//JAVAC_OPTIONS --release 21
//DEPS io.helidon.webserver:helidon-webserver:4.5.0
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.4
//DEPS io.prometheus:prometheus-metrics-core:1.10.0
//DEPS io.prometheus:prometheus-metrics-exposition-textformats:1.10.0
//DEPS org.slf4j:slf4j-simple:2.0.17
//DEPS net.java.dev.jna:jna:5.17.0
//DEPS ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64
//SOURCES ServerSettings.java ServerMetrics.java ServerError.java Handlers.java ModelCopy.java ModelQueue.java
//SOURCES InferenceJob.java WorkerPool.java ServedModel.java JsonErrors.java Errors.java DjlLoader.java
//SOURCES ModelSource.java ModelStore.java MemoryBudget.java ClosedPeers.java CountedConnections.java ProbeServer.java Reply.java
//SOURCES NativeHeap.java
//SOURCES ../lib/model/ModelSpec.java ../lib/model/TorchEngine.java ../lib/model/Answer.java ../lib/model/ModelException.java ../lib/model/LoadedModel.java
//SOURCES ../lib/model/QaBatch.java ../lib/model/QaCodec.java ../lib/config/ByteSize.java ../lib/model/ModelEntries.java
package server;

import io.helidon.http.Method;
import io.helidon.http.PathMatchers;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http1.Http1Config;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import lib.model.ModelException;
import lib.model.ModelSpec;
import lib.model.TorchEngine;

/**
 * The model server: NUM_MODELS copies of the traced model in one JVM (and copies of the distinct
 * models MODELS adds), served over HTTP with the original's API (GET /, /predictions/model<i>)
 * plus /predictions/<name>, liveness, readiness, /models and /metrics.
 *
 * <p>HTTP is Helidon's WebServer: a virtual thread per connection that reads, handles and writes
 * with blocking calls. A selector that hands each request to another thread (Jetty, the JDK's
 * HttpServer) costs a tiny model a fifth of its rate at low concurrency (docs/benchmarks.md, "The
 * HTTP floor").
 *
 * <p>Wiring and lifecycle live here: the HTTP handlers ({@link Handlers}) queue each request on its
 * copy ({@link ModelQueue}, bounded), a shared {@link WorkerPool} runs batches on the copies' shared
 * weights, and every failure becomes JSON in {@link Errors}. HTTP starts at once and the model
 * loads in the background, so early traffic gets a quick 503 instead of a hang. On SIGTERM the
 * server drains the Kubernetes way (see {@link #drain}).
 */
public final class ModelServer {
    /** Loads a model (and warms it up). */
    interface Loader {
        /** The model for copy i of source (when copies share weights, only for its first copy). */
        ServedModel load(ModelSource source, int copy) throws Exception;

        /** True when every copy of a model can share one loaded model (one set of weights in memory). */
        default boolean sharedWeights() {
            return true;
        }

        /** Bytes of weights the model holds in memory, as counted against MODEL_MEMORY_BUDGET. */
        default long bytes(ModelSource source) {
            return 0;
        }

        /** The model's metadata.json, for /models. */
        default Map<String, Object> metadata(ModelSource source) {
            return Map.of();
        }
    }

    enum State { LOADING, READY, DRAINING, STOPPING, FAILED }



    private final ServerSettings settings;
    private final Loader loader;
    private final Map<String, Object> metadata;
    /** Helidon logs to java.util.logging: only its warnings, and held here so the level stays set. */
    private static final java.util.logging.Logger HELIDON_LOG = java.util.logging.Logger.getLogger("io.helidon");
    /** Its start-up failures come with stack traces: the server says them on one line itself. */
    private static final java.util.logging.Logger HELIDON_START_LOG = java.util.logging.Logger.getLogger("io.helidon.webserver.LoomServer");
    /** The longest request line (URI) and headers: 8 KiB each, Jetty's limits, which the server had before. */
    static final int MAX_PROLOGUE_BYTES = 8192;
    static final int MAX_HEADER_BYTES = 8192;
    private static final Set<Method> NOT_ALLOWED = Set.of(Method.PUT, Method.DELETE, Method.PATCH);
    /** Requests accepted and not answered yet (waiting for a load, queued or computing): drain waits for them. */
    private final AtomicInteger pending = new AtomicInteger();
    private final ServerMetrics metrics = new ServerMetrics(pending::get);
    private final Handlers handlers = new Handlers(this);
    private final ModelStore store;
    private final ClosedPeers closedPeers = new ClosedPeers();
    /** Where track() leaves the way to let go of a request, in the request's context. */
    private static final String TRACKED = "jdo.tracked";
    private final CountDownLatch loaded = new CountDownLatch(1);
    private volatile State state = State.LOADING;
    private volatile String failure;
    private WorkerPool pool;
    private Errors errors;
    private volatile WebServer web;
    /** The main port's connections (probes have their own). */
    private CountedConnections mainConnections;
    private volatile ProbeServer probes;

    /** How long a load may wait for models in use to make room: the request deadline, else 30 s. */
    static long roomWaitMs(ServerSettings settings) {
        int timeout = settings.batching().requestTimeoutMs();
        return timeout > 0 ? timeout : 30_000;
    }

    /** Throws BadSetting when a model can never fit MODEL_MEMORY_BUDGET. */
    ModelServer(ServerSettings settings, Loader loader, Map<String, Object> metadata) {
        this.settings = settings;
        this.loader = loader;
        this.metadata = metadata;
        this.store = new ModelStore(settings.models(), loader, settings.memoryBudget(), settings.predictors(cores()),
                settings.batching().maxQueue(), roomWaitMs(settings), metrics);
    }

    public static void main(String... args) {
        TorchEngine.quietWarnings();
        ModelServer server;
        try {
            ServerSettings settings = ServerSettings.fromEnv(System.getenv());
            Map<String, Object> metadata = ModelSpec.metadata(settings.modelDir());
            server = new ModelServer(settings, loader(settings), metadata);
        } catch (ServerSettings.BadSetting | ModelException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            server.start();
        } catch (ServerSettings.BadSetting e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        // SIGTERM/SIGINT run shutdown hooks while request threads keep going: drain there, then exit 0
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.drain();
            Runtime.getRuntime().halt(0);
        }, "drain"));
        if (!server.awaitLoaded()) {
            Runtime.getRuntime().halt(1);
        }
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** The DJL models of the trace folders (see {@link DjlLoader}). */
    static Loader loader(ServerSettings settings) {
        return DjlLoader.of(settings);
    }

    /** Starts HTTP and the workers at once, then loads the model copies in the background. */
    ModelServer start() {
        HELIDON_LOG.setLevel(java.util.logging.Level.WARNING);
        HELIDON_START_LOG.setLevel(java.util.logging.Level.OFF);
        ServerSettings.Batching b = settings.batching();
        pool = new WorkerPool(settings.workers(cores()), b.maxBatchSize(), b.maxBatchDelayMs(), settings.postprocess(), metrics);
        errors = new Errors(metrics, b.requestTimeoutMs());
        Http1Config http1 = Http1Config.builder().maxPrologueLength(MAX_PROLOGUE_BYTES).maxHeadersSize(MAX_HEADER_BYTES).build();
        mainConnections = new CountedConnections(WebServer.DEFAULT_SOCKET_NAME, http1);
        io.helidon.webserver.WebServerConfig.Builder builder = WebServer.builder()
                .shutdownHook(false) // SIGTERM drains first (see main)
                .host(settings.bindAddress())
                .port(settings.port())
                .maxPayloadSize(settings.maxRequestBytes())
                .protocolsDiscoverServices(false) // HTTP/1.1 through the counting selector only
                .addConnectionSelector(mainConnections)
                .directHandlers(JsonErrors.handlers(settings.maxRequestBytes()))
                .routing(this::routes);
        web = builder.build().start();
        if (!web.isRunning()) { // Helidon logs why and returns a stopped server
            pool.stop();
            throw new ServerSettings.BadSetting("cannot listen on " + settings.bindAddress() + " PORT=" + settings.port() + ": "
                    + whyNotListening(settings.bindAddress(), settings.port()));
        }
        if (settings.probePort() >= 0) {
            try {
                probes = new ProbeServer(settings.bindAddress(), settings.probePort(), probeRoutes());
            } catch (java.io.IOException e) {
                web.stop();
                pool.stop();
                throw new ServerSettings.BadSetting("cannot listen on " + settings.bindAddress() + " PROBE_PORT=" + settings.probePort()
                        + ": " + reason(e));
            }
        }
        log("level=info event=listening address=%s port=%d probe_port=%d models=%d copies=%d processor=%s workers=%d "
                + "max_batch_size=%d max_batch_delay_ms=%d max_queue=%d memory_budget=%d", settings.bindAddress(), port(), probePort(),
                settings.models().size(), settings.totalCopies(), processor(), pool.workers(), b.maxBatchSize(), b.maxBatchDelayMs(),
                b.maxQueue(), settings.memoryBudget());
        Thread.ofPlatform().name("model-loader").start(this::loadAll);
        return this;
    }

    /** Why a port cannot be listened on, asked again of the OS (Helidon only logs it). */
    private static String whyNotListening(String host, int port) {
        try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
            socket.bind(new java.net.InetSocketAddress(host, port));
            return "the server could not start its listener";
        } catch (java.io.IOException e) {
            return reason(e);
        }
    }

    /** The OS's reason, as the one-line errors put it ("address already in use"). */
    private static String reason(java.io.IOException e) {
        return String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
    }

    /** What the probe port answers (GET); the main port answers them too. */
    private Map<String, java.util.function.Supplier<Reply>> probeRoutes() {
        return Map.of(
                "/", () -> Reply.json(200, Map.of("Status", "Healthy")),
                "/health/live", () -> Reply.json(200, Map.of("status", "alive")),
                "/health/ready", handlers::ready,
                "/ping", handlers::ready,
                "/models", handlers::models,
                "/metrics", () -> Reply.text(ServerMetrics.contentType(), scrape()));
    }

    /** The main port's routes: the probe routes and predictions; anything else is a JSON 404 (501: a method HTTP lacks). */
    private void routes(HttpRouting.Builder routing) {
        routing.addFilter(this::logRequest);
        probeRoutes().forEach((path, reply) -> routing.get(path, (req, res) -> Handlers.send(res, reply.get())));
        routing.get("/predictions/{model}", handlers::predict)
                .post("/predictions/{model}", handlers::predict)
                .route(NOT_ALLOWED::contains, PathMatchers.create("/predictions/{model}"), (req, res) -> {
                    throw new ServerError(405, "method " + req.prologue().method().text() + " is not allowed here; use GET or POST");
                })
                .any(Errors::notFound)
                .error(Throwable.class, errors::answer);
    }

    /** The probe port actually bound (-1 when there is none). */
    int probePort() {
        return probes == null ? -1 : probes.port();
    }

    /** Metrics and the request log line of every prediction, once its answer is written. */
    private void logRequest(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        if (path.startsWith("/predictions/")) {
            long start = System.nanoTime();
            res.whenSent(() -> {
                untrack(req); // before counting it done: in flight + done never counts it twice
                double ms = (System.nanoTime() - start) / 1e6;
                String label = Errors.label(req);
                int status = res.status().code();
                String code = Integer.toString(status);
                metrics.requests.labelValues(label, code).inc();
                metrics.latency.labelValues(label).observe(ms / 1000.0);
                if (status >= 400) {
                    metrics.errors.labelValues(label, code).inc();
                }
                if (!settings.quiet() || status >= 500) {
                    log("level=%s event=request method=%s path=%s status=%d ms=%.1f", status >= 500 ? "error" : "info",
                            req.prologue().method().text(), path, status, ms);
                }
            });
        }
        chain.proceed();
    }

    private String scrape() {
        for (ModelCopy copy : store.copies()) {
            metrics.queueDepth.labelValues(copy.name).set(copy.queue.size());
        }
        metrics.modelMemory.set(store.usedBytes());
        metrics.modelsReady.set(store.loadedCopies());
        return metrics.scrape();
    }

    /** The main port. */
    int port() {
        return web.port();
    }

    ServerSettings settings() {
        return settings;
    }

    Map<String, Object> metadata() {
        return metadata;
    }

    State state() {
        return state;
    }

    String failure() {
        return failure;
    }

    ModelStore store() {
        return store;
    }

    ClosedPeers closedPeers() {
        return closedPeers;
    }

    boolean sharedWeights() {
        return loader.sharedWeights();
    }

    String processor() {
        return settings.processor().isEmpty() ? String.valueOf(metadata.getOrDefault("processor", "cpu")) : settings.processor();
    }

    /** Checks that the server takes requests now (503: loading, shutting down, failed). */
    void admit(ModelCopy copy) {
        State s = state;
        if (s == State.READY || s == State.DRAINING) {
            return;
        }
        metrics.refused.labelValues(copy.name, "not_ready").inc();
        throw ServerError.unavailable(switch (s) {
            case STOPPING -> "the server is shutting down";
            case FAILED -> "the models failed to load: " + failure;
            default -> "models are loading (" + store.loadedCopies() + " of " + settings.totalCopies() + " ready); try again soon";
        }, 5);
    }

    /** Computes an encoded request here (see {@link WorkerPool#submit}) or queues it; false when the copy's queue is full. */
    boolean submit(ModelCopy copy, InferenceJob job, boolean onRequestThread) {
        if (!pool.submit(copy, job, onRequestThread && fewConnections())) {
            return false;
        }
        job.result.whenComplete((answer, e) -> {
            if (e instanceof ModelQueue.ClientGone) {
                metrics.refused.labelValues(copy.name, "client_gone").inc();
            }
        });
        return true;
    }

    /**
     * Whether a request may compute on its own thread. A forward in native code holds its virtual
     * thread's carrier, and there are as many carriers as cores. With no more connections than
     * workers every one of them can have a carrier; with more, a request not yet read would wait
     * for one (refusals and health on this port included), so the workers compute.
     */
    private boolean fewConnections() {
        return pending.get() <= pool.workers() && mainConnections.open() <= pool.workers();
    }

    /**
     * Counts an accepted request until its response is written (waiting for a model's load,
     * queued, computing, answering): drain waits for it, and /metrics shows it in flight. The
     * request log lets go of it as soon as the answer is written and before counting it done, so
     * in flight + done never counts it twice; the handler lets go of it too, for an answer that
     * could not be written. Whichever comes first counts.
     */
    void track(ServerRequest req) {
        pending.incrementAndGet();
        java.util.concurrent.atomic.AtomicBoolean held = new java.util.concurrent.atomic.AtomicBoolean(true);
        req.context().register(TRACKED, (Runnable) () -> {
            if (held.getAndSet(false)) {
                pending.decrementAndGet();
            }
        });
    }

    /** Lets go of a request track() counted (once, however often asked; nothing for one it did not). */
    static void untrack(ServerRequest req) {
        req.context().get(TRACKED, Runnable.class).ifPresent(Runnable::run);
    }

    Errors errors() {
        return errors;
    }

    ServerError refuseFull(ModelCopy copy) {
        metrics.refused.labelValues(copy.name, "queue_full").inc();
        return ServerError.unavailable(copy.name + " is overloaded (" + settings.batching().maxQueue()
                + " requests queued); try again shortly", 1);
    }

    /** Loads the pinned models (all of them when there is no memory budget); the others load on demand. */
    private void loadAll() {
        try {
            store.loadPinned(() -> state == State.LOADING);
            if (state == State.LOADING) {
                state = State.READY;
                log("level=info event=ready models=%d copies=%d loaded_copies=%d", settings.models().size(), settings.totalCopies(),
                        store.loadedCopies());
            }
        } catch (Throwable e) {
            failure = e.getMessage() == null ? e.toString() : e.getMessage();
            state = State.FAILED;
            if (!(e instanceof ServerError)) { // a model that failed to load said why already (ModelStore)
                log("level=error event=load_failed error=\"%s\"", failure.replace("\"", "'"));
            }
        } finally {
            loaded.countDown();
        }
    }

    /** Waits until the pinned models are loaded; false when loading failed. */
    boolean awaitLoaded() {
        try {
            loaded.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return state != State.FAILED;
    }

    /**
     * On SIGTERM, the Kubernetes way: readiness turns 503 at once, but requests are still served
     * for DRAIN_DELAY seconds while the endpoint is removed from the Service; then new requests are
     * refused and the queued and running ones finish (for at most DRAIN_SECONDS); then HTTP stops
     * and the models close.
     */
    void drain() {
        State before = state;
        if (before == State.READY || before == State.LOADING) {
            state = State.DRAINING;
            log("level=info event=draining pending=%d drain_delay=%d", pending.get(), settings.drainDelaySeconds());
            if (before == State.READY) {
                sleep(TimeUnit.SECONDS.toMillis(settings.drainDelaySeconds()));
            }
        }
        state = State.STOPPING;
        log("level=info event=stopping pending=%d", pending.get());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.drainSeconds());
        while (pending.get() > 0 && System.nanoTime() < deadline) {
            sleep(20);
        }
        if (pending.get() > 0) {
            log("level=warn event=drain_timeout pending=%d", pending.get());
        }
        sleep(50); // the last answers are being written
        web.stop();
        if (probes != null) {
            probes.stop();
        }
        pool.stop();
        store.closeAll();
        log("level=info event=stopped");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void log(String format, Object... args) {
        System.out.println("ts=" + Instant.now() + " " + String.format(java.util.Locale.ROOT, format, args));
        System.out.flush();
    }
}
