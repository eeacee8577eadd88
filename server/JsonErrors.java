package server;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import java.util.Map;

/**
 * What Helidon answers itself, before any route runs (a malformed request, a request line or
 * headers too large, a body over the limit), as the same one-line JSON as every other error of the
 * server instead of plain text. Helidon keeps its reasons to itself, so the detail says what can
 * cause each status.
 */
final class JsonErrors {
    private JsonErrors() {
    }

    static String body(int status, String message) {
        String detail = Errors.oneLine(message, Status.create(status).reasonPhrase());
        try {
            return Handlers.JSON.writeValueAsString(Map.of("detail", detail));
        } catch (Exception e) {
            return "{\"detail\":\"" + Status.create(status).reasonPhrase() + "\"}";
        }
    }

    /** The detail of a status Helidon answers without a message. */
    static String detail(int status, long maxRequestBytes) {
        return switch (status) {
            case 400 -> "bad request: a malformed request line or header, a missing Host, or headers over "
                    + ModelServer.MAX_HEADER_BYTES + " bytes";
            case 413 -> "the request body is over MAX_REQUEST_BYTES=" + maxRequestBytes;
            case 414 -> "the request line is over " + ModelServer.MAX_PROLOGUE_BYTES
                    + " bytes; send a long question or context as a POST body";
            case 505 -> "HTTP/1.0 is not supported; use HTTP/1.1"; // Helidon's only 505 (any other version is a 400)
            default -> Status.create(status).reasonPhrase();
        };
    }

    static DirectHandlers handlers(long maxRequestBytes) {
        DirectHandler json = new DirectHandler() {
            @Override
            public TransportResponse handle(TransportRequest request, EventType event, Status status, ServerResponseHeaders headers,
                                            String message) {
                return TransportResponse.builder()
                        .status(status)
                        .headers(headers)
                        .header(HeaderNames.CONTENT_TYPE, "application/json")
                        .keepAlive(event.keepAlive())
                        .entity(body(status.code(), message == null || message.isBlank() ? detail(status.code(), maxRequestBytes) : message))
                        .build();
            }
        };
        DirectHandlers.Builder handlers = DirectHandlers.builder();
        for (DirectHandler.EventType event : DirectHandler.EventType.values()) {
            handlers.addHandler(event, json);
        }
        return handlers.build();
    }
}
