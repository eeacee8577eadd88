package server;

import java.nio.charset.StandardCharsets;

/** An answer that does not depend on how it is sent: the main port's Helidon routes and the probe port both write it. */
record Reply(int status, String contentType, byte[] body) {
    /** Compact JSON like the original's FastAPI responses. */
    static Reply json(int status, Object body) {
        try {
            return new Reply(status, "application/json", Handlers.JSON.writeValueAsBytes(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Reply text(String contentType, String body) {
        return new Reply(200, contentType, body.getBytes(StandardCharsets.UTF_8));
    }
}
