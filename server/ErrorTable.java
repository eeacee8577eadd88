package server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Every failure as a status and one line of JSON, for both ports: exceptions by type (registered
 * once with Javalin, which unwraps a failed future's CompletionException itself), no route (404,
 * or 501 for a method HTTP lacks), and what Jetty refuses before any route (400, 413, 414, 431,
 * 501, 505). The original API's errors are {@code {"detail": ..}}; the Open Inference Protocol's
 * (under /v2) are {@code {"error": ..}}.
 */
final class ErrorTable {
    static final ObjectMapper JSON = new ObjectMapper();
    /** The longest request line plus headers Jetty reads (its default). */
    static final int MAX_HEADER_BYTES = 8192;
    /** The request attribute where a handler leaves the model's metric label (model<i>). */
    static final String MODEL_LABEL = "jdo.model";
    private static final Set<String> KNOWN_METHODS = Set.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
            "TRACE", "CONNECT");

    private final ServerMetrics metrics;
    private final int requestTimeoutMs;
    private final long maxRequestBytes;

    ErrorTable(ServerMetrics metrics, int requestTimeoutMs, long maxRequestBytes) {
        this.metrics = metrics;
        this.requestTimeoutMs = requestTimeoutMs;
        this.maxRequestBytes = maxRequestBytes;
    }

    /** Every exception to its answer, and a JSON 404 where no route matched. */
    void register(RoutesConfig routes) {
        routes.exception(Exception.class, this::respond);
        routes.exception(HttpResponseException.class, this::respond); // else Javalin answers its own in plain text
        routes.error(404, ctx -> {
            if (!String.valueOf(ctx.res().getContentType()).startsWith("application/json")) {
                notFound(ctx);
            }
        });
    }

    /** The table: each failure's status and detail. */
    void respond(Throwable failure, Context ctx) {
        switch (failure) {
            case CompletionException c when c.getCause() != null -> respond(c.getCause(), ctx);
            case ServerError e -> {
                if (e.retryAfterSeconds > 0) {
                    ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds));
                }
                send(ctx, e.status, e.getMessage());
            }
            case TimeoutException e -> {
                metrics.refusals.count(label(ctx), "timeout");
                send(ctx, 504, "no answer within request_timeout_ms=" + requestTimeoutMs
                        + "; the request was not computed if it was still queued");
            }
            case ModelQueue.ClientGone e -> send(ctx, 503, e.getMessage()); // nobody reads it: the connection is gone
            case HttpResponseException e when e.getStatus() == 404 -> notFound(ctx);
            // what Javalin refuses itself: 413 for a body over MAX_REQUEST_BYTES, ...
            case HttpResponseException e -> send(ctx, e.getStatus(), detail(e.getStatus(), e.getMessage()));
            default -> {
                Log.line("level=error event=unhandled path=%s error=\"%s\"", ctx.path(), Log.quoted(failure.toString()));
                send(ctx, 500, "internal error: " + failure.getClass().getSimpleName());
            }
        }
    }

    /** No route: 501 for a method HTTP does not have, else 404. */
    static void notFound(Context ctx) {
        String method = ctx.req().getMethod();
        if (!KNOWN_METHODS.contains(method)) {
            send(ctx, 501, "method " + method + " is not supported");
        } else {
            send(ctx, 404, "not found: " + ctx.path());
        }
    }

    static void send(Context ctx, int status, String message) {
        ctx.status(status).contentType("application/json").result(body(ctx.path().startsWith("/v2") ? "error" : "detail", status, message));
    }

    /** The model's metric label a handler left on the request: model<i>, or unknown. */
    static String label(Context ctx) {
        Object model = ctx.attribute(MODEL_LABEL);
        return model == null ? "unknown" : model.toString();
    }

    private static String body(String key, int status, String message) {
        String line = message == null || message.isBlank() ? HttpStatus.getMessage(status) : message.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
        try {
            return JSON.writeValueAsString(Map.of(key, line));
        } catch (Exception e) {
            return "{\"" + key + "\":\"" + HttpStatus.getMessage(status) + "\"}";
        }
    }

    /** The detail of a refusal, saying what causes it; Jetty's own reason when there is no better one. */
    private String detail(int status, String reason) {
        return switch (status) {
            case 413 -> "the request body is over MAX_REQUEST_BYTES=" + maxRequestBytes;
            case 414 -> "the request line is over " + MAX_HEADER_BYTES + " bytes; send a long question or context as a POST body";
            case 431 -> "the request headers are over " + MAX_HEADER_BYTES + " bytes";
            case 505 -> "HTTP version not supported; use HTTP/1.1 or HTTP/1.0";
            default -> reason == null || reason.isBlank() ? HttpStatus.getMessage(status) : reason;
        };
    }

    /** What Jetty answers itself, before any route (a malformed request, a request line or headers too large), as JSON. */
    ErrorHandler jetty() {
        return new ErrorHandler() {
            @Override
            protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                            Callback callback) {
                String path = request.getHttpURI() == null ? "" : String.valueOf(request.getHttpURI().getPath());
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                Content.Sink.write(response, true, body(path.startsWith("/v2") ? "error" : "detail", code,
                        code == 400 ? "bad request: " + detail(code, message) : detail(code, message)), callback);
            }
        };
    }
}
