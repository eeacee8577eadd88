package server;

import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/**
 * Every failure of a request as JSON, in one place: its status, a one-line detail, and
 * Retry-After where retrying helps. (What Jetty answers before any handler: JsonErrors.)
 */
final class Errors {
    private static final Set<String> KNOWN_METHODS = Set.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
            "TRACE", "CONNECT");

    private final ServerMetrics metrics;
    private final int requestTimeoutMs;

    Errors(ServerMetrics metrics, int requestTimeoutMs) {
        this.metrics = metrics;
        this.requestTimeoutMs = requestTimeoutMs;
    }

    void answer(Exception e, Context ctx) {
        Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (t instanceof HttpResponseException he && he.getStatus() == 404) {
            notFound(ctx);
        } else if (t instanceof HttpResponseException he) {
            // what Javalin itself refuses: 413 for a body over MAX_REQUEST_BYTES, 405, ...
            Handlers.json(ctx, he.getStatus(), Map.of("detail", he.getMessage()));
        } else if (t instanceof ServerError se) {
            if (se.retryAfterSeconds > 0) {
                ctx.header("Retry-After", Integer.toString(se.retryAfterSeconds));
            }
            Handlers.json(ctx, se.status, Map.of("detail", se.getMessage()));
        } else if (t instanceof TimeoutException) {
            metrics.refused.labelValues(label(ctx), "timeout").inc();
            Handlers.json(ctx, 504, Map.of("detail", "no answer within request_timeout_ms=" + requestTimeoutMs
                    + "; the request was not computed if it was still queued"));
        } else {
            ModelServer.log("level=error event=unhandled path=%s error=%s", ctx.path(), t.toString());
            Handlers.json(ctx, 500, Map.of("detail", "internal error: " + t.getClass().getSimpleName()));
        }
    }

    /** No route: 501 for a method HTTP does not have, else 404. */
    static void notFound(Context ctx) {
        String method = ctx.req().getMethod();
        if (!KNOWN_METHODS.contains(method)) {
            Handlers.json(ctx, 501, Map.of("detail", "method " + method + " is not supported"));
        } else {
            Handlers.json(ctx, 404, Map.of("detail", "not found: " + ctx.path()));
        }
    }

    /** The model's metric label the handler left on the request: model<i>, or unknown. */
    static String label(Context ctx) {
        Object model = ctx.attribute(Handlers.MODEL_ATTRIBUTE);
        return model == null ? "unknown" : model.toString();
    }
}
