package server;

import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * What Jetty answers itself, before any handler runs (a malformed request line, a URI or headers
 * too large, an unknown method), as the same one-line JSON as every other error of the server
 * instead of Jetty's HTML page.
 */
final class JsonErrors extends ErrorHandler {
    static String body(int status, String message) {
        String detail = message == null || message.isBlank() ? HttpStatus.getMessage(status) : message;
        try {
            return Handlers.JSON.writeValueAsString(Map.of("detail", detail));
        } catch (Exception e) {
            return "{\"detail\":\"" + HttpStatus.getMessage(status) + "\"}";
        }
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause, Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, body(code, message), callback);
    }
}
