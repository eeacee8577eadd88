package client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client's HTTP/1.1 connection against a server that writes raw answers: framing, keep-alive, closes. */
class ConnectionTest {
    static final byte[] GET = "GET /predictions/model0 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    ServerSocket listener;
    final AtomicInteger accepted = new AtomicInteger();
    final List<String> requests = new CopyOnWriteArrayList<>();

    /** Serves each connection: for each request, the next answer of `answers`; closes after `perConnection` answers. */
    void serve(int perConnection, String... answers) throws IOException {
        ServerSocket serving = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        listener = serving;
        AtomicInteger next = new AtomicInteger();
        Thread.ofPlatform().daemon().start(() -> {
            while (!serving.isClosed()) {
                try (Socket s = serving.accept()) {
                    accepted.incrementAndGet();
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    for (int i = 0; i < perConnection; i++) {
                        String request = head(in);
                        if (request == null) {
                            break;
                        }
                        requests.add(request);
                        out.write(answers[Math.min(next.getAndIncrement(), answers.length - 1)].getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                } catch (IOException closed) {
                    // the next connection
                }
            }
        });
    }

    static String head(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            b.write(c);
            if (b.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                return b.toString(StandardCharsets.US_ASCII);
            }
        }
        return null;
    }

    Connection connection() {
        return new Connection("127.0.0.1", listener.getLocalPort(), 5000);
    }

    @AfterEach
    void stop() throws IOException {
        listener.close();
    }

    @Test
    void keepsTheConnectionForTheNextRequestAndReadsContentLengthAndChunkedBodies() throws Exception {
        serve(3, "HTTP/1.1 200 OK\r\nContent: 99\r\nCONTENT-LENGTH:5\r\n\r\nhello",
                "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "4\r\n{\"de\r\n9;ext=1\r\ntail\": 1}\r\n0\r\nTrailer: x\r\n\r\n",
                "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
        try (Connection c = connection()) {
            assertEquals(200, c.send(GET));
            assertEquals("hello", c.body());
            assertEquals(503, c.send(GET));
            assertEquals("{\"detail\": 1}", c.body());
            assertEquals(404, c.send(GET));
            assertEquals("", c.body());
        }
        assertEquals(1, accepted.get(), "one connection for all three");
        assertEquals(GET.length, requests.get(0).length());
    }

    @Test
    void aConnectionTheServerClosedWhileIdleIsOpenedAgain() throws Exception {
        serve(1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        try (Connection c = connection()) {
            for (int i = 0; i < 4; i++) {
                assertEquals(200, c.send(GET));
                Thread.sleep(20); // lets the server's close arrive first, as an idle timeout does
            }
        }
        assertEquals(4, accepted.get());
    }

    @Test
    void connectionCloseAndAnAnswerWithoutLengthEndTheConnection() throws Exception {
        serve(1, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na", "HTTP/1.0 200 OK\r\n\r\nto the end");
        try (Connection c = connection()) {
            assertEquals(200, c.send(GET));
            assertEquals("a", c.body());
            assertEquals(200, c.send(GET));
            assertEquals("to the end", c.body());
        }
        assertEquals(2, accepted.get());
    }

    @Test
    void aServerThatClosesWithoutAnsweringOrAnswersTooLateFails() throws Exception {
        serve(1, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
        try (Connection c = connection()) {
            assertThrows(java.io.EOFException.class, () -> c.send(GET), "the body ended early");
        }
        listener.close();
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress()); // accepts by backlog, never answers
        try (Connection c = new Connection("127.0.0.1", listener.getLocalPort(), 200)) {
            assertThrows(SocketTimeoutException.class, () -> c.send(GET));
        }
    }

    @Test
    void somethingThatIsNotHttpIsAProtocolError() throws Exception {
        serve(1, "SSH-2.0-OpenSSH\r\n\r\n");
        try (Connection c = connection()) {
            assertThrows(java.net.ProtocolException.class, () -> c.send(GET));
        }
    }
}
