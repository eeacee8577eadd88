package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every error is JSON, including what the HTTP layer answers before a handler runs. Raw requests
 * over a socket, since well-behaved clients cannot send most of them.
 */
class HttpErrorsTest {
    @TempDir
    static Path dir;
    static ModelServer server;

    @BeforeAll
    static void start() throws Exception {
        server = new ModelServer(ModelServerTest.settings(dir, 1, 1, Map.of("MAX_REQUEST_BYTES", "2048")),
                (m, i) -> new ModelServerTest.FakeModel(false), Map.of()).start();
        assertTrue(server.awaitLoaded());
    }

    @AfterAll
    static void stop() {
        server.drain();
    }

    record Answer(int status, String contentType, String body) {
    }

    /** Sends the raw bytes and reads one answer: its head, then Content-Length bytes (or chunks to the last). */
    static Answer raw(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            for (int n = in.read(buf); n > 0; n = in.read(buf)) {
                all.write(buf, 0, n);
                String text = all.toString(StandardCharsets.ISO_8859_1);
                int headEnd = text.indexOf("\r\n\r\n");
                if (headEnd < 0) {
                    continue;
                }
                String head = text.substring(0, headEnd);
                String body = text.substring(headEnd + 4);
                java.util.Optional<String> length = header(head, "content-length");
                if (length.isPresent() && body.length() >= Integer.parseInt(length.get())
                        || length.isEmpty() && body.endsWith("\r\n0\r\n\r\n")) {
                    if (length.isEmpty()) {
                        body = body.substring(body.indexOf("\r\n") + 2, body.lastIndexOf("\r\n0\r\n"));
                    }
                    return new Answer(Integer.parseInt(head.split(" ")[1]), header(head, "content-type").orElse(""), body.strip());
                }
            }
            return org.junit.jupiter.api.Assertions.fail("the server closed the connection without a whole answer: " + all);
        }
    }

    private static java.util.Optional<String> header(String head, String name) {
        return head.lines().filter(l -> l.toLowerCase().startsWith(name + ":")).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).strip());
    }

    static void assertJsonError(Answer a, int status) throws Exception {
        assertEquals(status, a.status(), a.toString());
        assertTrue(a.contentType().startsWith("application/json"), a.toString());
        JsonNode body = ModelServerTest.JSON.readTree(a.body());
        assertTrue(body.get("detail").isTextual() && !body.get("detail").asText().isBlank(), a.toString());
        assertTrue(!a.body().contains("<html") && !a.body().contains("\tat "), a.toString());
    }

    @Test
    void malformedRequestsAreJson() throws Exception {
        assertJsonError(raw("GET /predictions/model0 HTTP/1.1\r\nHost: x\r\nno colon in this header\r\n\r\n"), 400);
        assertJsonError(raw("HELLO THERE\r\n\r\n"), 505); // not HTTP at all: Jetty finds no version it knows
    }

    @Test
    void http10IsAnsweredAndItsConnectionClosed() throws Exception {
        // ApacheBench's ab and curl --http1.0 send HTTP/1.0: answered, and the connection closed after (no keep-alive asked)
        String all = toTheEnd("GET /predictions/model0 HTTP/1.0\r\n\r\n");
        assertTrue(all.startsWith("HTTP/1.1 200 "), all); // Jetty answers in the version it speaks, as RFC 9110 allows
        assertTrue(all.endsWith("{\"detail\":\"ok\"}"), all);
    }

    @Test
    void connectionCloseIsHonoured() throws Exception {
        String all = toTheEnd("GET /predictions/model0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertTrue(all.startsWith("HTTP/1.1 200 "), all);
        assertTrue(all.toLowerCase().contains("\r\nconnection: close\r\n"), all);
        assertTrue(all.endsWith("{\"detail\":\"ok\"}"), all);
    }

    @Test
    void anUnknownHttpVersionIs505Json() throws Exception {
        assertJsonError(raw("GET /predictions/model0 HTTP/7.0\r\nHost: x\r\n\r\n"), 505);
    }

    /** Sends the raw bytes and reads until the server closes the connection (a failure when it has not within 10 s). */
    static String toTheEnd(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void aUriTooLongIs414Json() throws Exception {
        assertJsonError(raw("GET /predictions/model0?seq_0=" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 414);
    }

    @Test
    void headersTooLargeAre431JsonThatSaysSo() throws Exception {
        Answer a = raw("GET /predictions/model0 HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\nConnection: close\r\n\r\n");
        assertJsonError(a, 431);
        assertTrue(a.body().contains("headers are over 8192 bytes"), a.toString());
    }

    @Test
    void aBodyOverTheLimitIs413Json() throws Exception {
        String body = "{\"seq_0\": \"" + "c".repeat(4096) + "\"}";
        assertJsonError(raw("POST /predictions/model0 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length() + "\r\nConnection: close\r\n\r\n" + body), 413);
    }

    @Test
    void anUnsupportedMethodIsJson() throws Exception {
        assertJsonError(raw("BREW /predictions/model0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 501);
        assertJsonError(raw("PUT /predictions/model0 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), 405);
    }

    @Test
    void anUnknownPathIs404Json() throws Exception {
        assertJsonError(raw("GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 404);
        assertJsonError(raw("POST /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), 404);
    }

    @Test
    void aSmallBodyStillWorks() throws Exception {
        String body = "{\"seq_0\": \"what\"}";
        Answer a = raw("POST /predictions/model0 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length() + "\r\nConnection: close\r\n\r\n" + body);
        assertEquals(200, a.status(), a.toString());
        assertEquals("{\"detail\":\"ok\"}", a.body());
    }
}
