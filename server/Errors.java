package server;

import io.helidon.http.HttpException;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/**
 * Every failure of a request as JSON, in one place: its status, a one-line detail, and
 * Retry-After where retrying helps. (What Helidon answers before any route: JsonErrors.)
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

    void answer(ServerRequest req, ServerResponse res, Throwable e) {
        Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (res.isSent()) {
            return; // the answer went out; what failed after it (a client gone) has nobody to tell
        }
        if (t instanceof UncheckedIOException) {
            return; // writing to a client that has gone: nobody to answer
        }
        if (t instanceof HttpException he) {
            // what Helidon itself refuses while a route reads the request: 413 for a body over MAX_REQUEST_BYTES, ...
            Handlers.json(res, he.status().code(), Map.of("detail", oneLine(he.getMessage(), he.status().reasonPhrase())));
        } else if (t instanceof ServerError se) {
            if (se.retryAfterSeconds > 0) {
                res.header("Retry-After", Integer.toString(se.retryAfterSeconds));
            }
            Handlers.json(res, se.status, Map.of("detail", se.getMessage()));
        } else if (t instanceof TimeoutException) {
            metrics.refused.labelValues(label(req), "timeout").inc();
            Handlers.json(res, 504, Map.of("detail", "no answer within request_timeout_ms=" + requestTimeoutMs
                    + "; the request was not computed if it was still queued"));
        } else {
            ModelServer.log("level=error event=unhandled path=%s error=%s", req.path().path(), t.toString());
            Handlers.json(res, 500, Map.of("detail", "internal error: " + t.getClass().getSimpleName()));
        }
    }

    /** No route: 501 for a method HTTP does not have, else 404. */
    static void notFound(ServerRequest req, ServerResponse res) {
        String method = req.prologue().method().text();
        if (!KNOWN_METHODS.contains(method)) {
            Handlers.json(res, 501, Map.of("detail", "method " + method + " is not supported"));
        } else {
            Handlers.json(res, 404, Map.of("detail", "not found: " + req.path().path()));
        }
    }

    /** The model's metric label the handler left on the request: model<i>, or unknown. */
    static String label(ServerRequest req) {
        return req.context().get(Handlers.MODEL_ATTRIBUTE, String.class).orElse("unknown");
    }

    /** A message on one line, or the fallback when there is none. */
    static String oneLine(String message, String fallback) {
        return message == null || message.isBlank() ? fallback : message.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
    }
}
