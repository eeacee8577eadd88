package server;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.NotFoundResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import lib.model.Answer;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The HTTP API, one Javalin app: the routes (the original's, the Open Inference Protocol's under
 * /v2, and the status routes), the main connector (virtual threads, its connections counted) and
 * the probe connector (PROBE_PORT: platform threads of its own, so probes never wait behind a flood
 * of predictions, and nothing but the status routes), the bound on the main port's connections
 * (MAX_CONNECTIONS), the request log (refusals left to {@link Refusals}), and the error table.
 */
final class HttpApi {
    /** What the probe port answers (GET); the main port answers them too. */
    private static final Set<String> STATUS_PATHS = Set.of("/", "/health/live", "/health/ready", "/ping", "/models", "/metrics",
            "/v2/health/live", "/v2/health/ready");

    static {
        // Javalin and Jetty say at INFO what the server's own listening line says: only their warnings
        System.setProperty("org.slf4j.simpleLogger.log.io.javalin", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn");
    }

    private final ServerSettings.Listen listen;
    private final boolean quiet;
    private final ServerMetrics metrics;
    private final MainConnections connections;
    private volatile ServerConnector main;
    private volatile ServerConnector probes;
    private final Javalin app;

    HttpApi(ServerSettings settings, ServerMetrics metrics, MainConnections connections, ServerStatus status, OriginalApi original,
            OpenInferenceApi v2, ErrorTable errors) {
        this.listen = settings.listen();
        this.quiet = settings.quiet();
        this.metrics = metrics;
        this.connections = connections;
        this.app = Javalin.create(config -> {
            config.concurrency.useVirtualThreads = true;
            config.startup.showJavalinBanner = false;
            config.http.maxRequestSize = listen.maxRequestBytes();
            config.jetty.modifyHttpConfiguration(http -> {
                http.setRequestHeaderSize(ErrorTable.MAX_HEADER_BYTES);
                http.setSendServerVersion(false);
            });
            config.jetty.addConnector(this::mainConnector);
            if (listen.probePort() >= 0) {
                config.jetty.addConnector(this::probeConnector);
            }
            config.jetty.modifyServer(server -> server.setErrorHandler(errors.jetty()));
            config.requestLogger.http(this::logRequest);
            config.routes.before(this::onlyStatusOnProbes);
            config.routes.before(this::boundConnections);
            config.routes.get("/", ctx -> ServerStatus.json(ctx, 200, java.util.Map.of("Status", "Healthy")));
            config.routes.get("/health/live", status::live);
            config.routes.get("/health/ready", status::ready);
            config.routes.get("/ping", status::ready);
            config.routes.get("/models", status::models);
            config.routes.get("/metrics", status::metrics);
            config.routes.get("/predictions/{model}", original::predict);
            config.routes.post("/predictions/{model}", original::predict);
            for (HandlerType method : List.of(HandlerType.PUT, HandlerType.DELETE, HandlerType.PATCH)) {
                config.routes.addHttpHandler(method, "/predictions/{model}", ctx -> {
                    throw new ServerError(405, "method " + ctx.method() + " is not allowed here; use GET or POST");
                });
            }
            v2.routes(config.routes);
            errors.register(config.routes);
        });
    }

    /** Starts listening; a BadSetting naming the port that cannot be listened on. */
    HttpApi start() {
        try {
            app.start();
        } catch (RuntimeException e) {
            String main = whyNotListening(listen.port());
            String probe = listen.probePort() > 0 ? whyNotListening(listen.probePort()) : null;
            throw new ServerSettings.BadSetting("cannot listen on " + listen.bindAddress() + (main == null && probe != null
                    ? " PROBE_PORT=" + listen.probePort() + ": " + probe
                    : " PORT=" + listen.port() + ": " + (main != null ? main : String.valueOf(e.getMessage()))));
        }
        return this;
    }

    void stop() {
        app.stop();
    }

    int port() {
        return main.getLocalPort();
    }

    /** The probe port actually bound (-1 when there is none). */
    int probePort() {
        return probes == null ? -1 : probes.getLocalPort();
    }

    /** Set on a prediction's answer when the request waited for its model to be pulled and/or loaded; a hit has no such header. */
    static final String MODEL_LOAD_HEADER = "X-Model-Load";

    /**
     * Ends a prediction's handling: written completes once its answer is written (at once when it
     * was computed on this thread, or refused: the failure is thrown to the error table), else the
     * request's thread is let go until it is.
     */
    static void reply(Context ctx, CompletableFuture<?> written) throws Exception {
        if (!written.isDone()) {
            ctx.future(() -> written);
            return;
        }
        try {
            written.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** Writes a prediction's answers once they come, with X-Model-Load: cold when the request waited for its model's load. */
    static CompletableFuture<Void> written(Context ctx, CompletableFuture<Predictions.Answered> answered, Consumer<List<Answer>> write) {
        return answered.thenAccept(a -> {
            if (a.coldLoad()) {
                ctx.header(MODEL_LOAD_HEADER, "cold");
            }
            write.accept(a.answers());
        });
    }

    private Connector mainConnector(Server server, HttpConfiguration http) {
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(listen.bindAddress());
        connector.setPort(listen.port());
        connector.addBean(connections);
        main = connector;
        return connector;
    }

    /** A second connector with platform threads of its own (the server's are virtual, shared with every prediction). */
    private Connector probeConnector(Server server, HttpConfiguration http) {
        QueuedThreadPool threads = new QueuedThreadPool(8, 2);
        threads.setName("probes");
        ServerConnector connector = new ServerConnector(server, threads, null, null, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(listen.bindAddress());
        connector.setPort(listen.probePort());
        connector.setName("probes");
        probes = connector;
        return connector;
    }

    private void onlyStatusOnProbes(Context ctx) {
        if (probes != null && ctx.req().getLocalPort() == probes.getLocalPort() && !STATUS_PATHS.contains(ctx.path())) {
            throw new NotFoundResponse();
        }
    }

    /**
     * The bound on the main port's open connections (MAX_CONNECTIONS): past it a prediction is
     * refused with a 503 that closes its connection, read no further than its headers; status
     * routes are still answered. Jetty's own connection limits stop accepting instead, which
     * leaves a client connected and unanswered in the kernel's backlog.
     */
    private void boundConnections(Context ctx) {
        int bound = listen.maxConnections();
        if (bound > 0 && isPrediction(ctx.path()) && connections.getAsInt() > bound) {
            metrics.refusals.count(ErrorTable.label(ctx), "connections");
            ctx.header("Connection", "close");
            throw ServerError.unavailable("the server has more than MAX_CONNECTIONS=" + bound
                    + " connections open; this one is closed, try again shortly", 1);
        }
    }

    private static boolean isPrediction(String path) {
        return path.startsWith("/predictions/") || (path.startsWith("/v2/models/") && path.endsWith("/infer"));
    }

    /** Metrics and the request log line of every prediction but a refusal, once its answer is written. */
    private void logRequest(Context ctx, Float ms) {
        String path = ctx.path();
        if (!isPrediction(path)) {
            return;
        }
        String label = ErrorTable.label(ctx);
        int status = ctx.statusCode();
        String code = Integer.toString(status);
        metrics.requests.labelValues(label, code).inc();
        metrics.latency.labelValues(label).observe(ms / 1000.0);
        if (status >= 400) {
            metrics.errors.labelValues(label, code).inc();
        }
        // refusals (503, 504) are counted and logged once per interval (Refusals), never a line each
        if ((!quiet || status >= 500) && status != 503 && status != 504) {
            Log.line("level=%s event=request method=%s path=%s status=%d ms=%.1f", status >= 500 ? "error" : "info", ctx.method(), path,
                    status, ms);
        }
    }

    /** Why a port cannot be listened on, asked again of the OS; null when it can. */
    private String whyNotListening(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(listen.bindAddress(), port));
            return null;
        } catch (IOException e) {
            return String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        }
    }
}
