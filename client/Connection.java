package client;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One kept-alive HTTP/1.1 connection to one server, used by one thread at a time: writes a
 * request prepared as bytes, reads the whole answer (Content-Length or chunked) and keeps the
 * connection for the next request. Any I/O failure closes it, and the next send connects again.
 * A blocking socket per worker costs a fraction of a general HTTP client per request
 * (docs/benchmarks.md, "The load client as an instrument").
 */
final class Connection implements Closeable {
    private final String host;
    private final int port;
    private final int timeoutMillis;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private boolean answering;
    private final byte[] buffer = new byte[8192];
    private int position;
    private int limit;
    private byte[] line = new byte[256];
    private int lineLength;
    private byte[] body = new byte[1024];
    private int bodyLength;

    /** timeoutMillis: for connecting, and for each wait for bytes of an answer. */
    Connection(String host, int port, int timeoutMillis) {
        this.host = host;
        this.port = port;
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * Sends one request and returns the status code of its answer. A kept-alive connection the
     * server closed while it was idle (end of stream or reset before any byte of an answer) is
     * opened again once; a timeout is not retried.
     */
    private boolean coldLoad;

    /** Whether the last answer said its request waited for the model's load (X-Model-Load: cold). */
    boolean coldLoad() {
        return coldLoad;
    }

    int send(byte[] request) throws IOException {
        boolean idle = socket != null;
        try {
            return exchange(request);
        } catch (IOException e) {
            close();
            if (!idle || answering || e instanceof SocketTimeoutException) {
                throw e;
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        try {
            return exchange(request);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The body of the last answer, as text. */
    String body() {
        return new String(body, 0, bodyLength, StandardCharsets.UTF_8);
    }

    private int exchange(byte[] request) throws IOException {
        if (socket == null) {
            Socket s = new Socket();
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            socket = s;
            in = s.getInputStream();
            out = s.getOutputStream();
            position = limit = 0;
        }
        answering = false;
        out.write(request);
        out.flush();
        if (position == limit && fill() < 0) {
            throw new EOFException("the server closed the connection without an answer");
        }
        answering = true;
        readLine();
        if (lineLength < 12 || !startsWith(STATUS_START)) {
            throw new ProtocolException("not an HTTP/1.x status line: " + new String(line, 0, lineLength, StandardCharsets.ISO_8859_1));
        }
        int code = digit(9) * 100 + digit(10) * 10 + digit(11);
        long length = -1;
        boolean chunked = false;
        coldLoad = false;
        boolean close = line[7] == '0'; // HTTP/1.0 closes unless it says keep-alive
        for (readLine(); lineLength > 0; readLine()) {
            int colon = indexOf(':');
            if (colon == CONTENT_LENGTH.length && named(CONTENT_LENGTH)) {
                length = number(colon + 1, 10);
            } else if (colon == TRANSFER_ENCODING.length && named(TRANSFER_ENCODING)) {
                chunked = contains(colon + 1, CHUNKED);
            } else if (colon == CONNECTION.length && named(CONNECTION)) {
                close = contains(colon + 1, CLOSE);
            } else if (colon == MODEL_LOAD.length && named(MODEL_LOAD)) {
                coldLoad = contains(colon + 1, COLD);
            }
        }
        bodyLength = 0;
        if (chunked) {
            for (readLine(); ; readLine()) {
                long size = number(0, 16);
                if (size == 0) {
                    break;
                }
                readBody(size);
                readLine(); // the chunk's CRLF
            }
            for (readLine(); lineLength > 0; readLine()) { // trailers
            }
        } else if (length >= 0) {
            readBody(length);
        } else if (code >= 200 && code != 204 && code != 304) {
            readBody(Long.MAX_VALUE); // to the end of the connection
            close = true;
        }
        if (close) {
            close();
        }
        return code;
    }

    private static final byte[] STATUS_START = ascii("HTTP/1.");
    private static final byte[] CONTENT_LENGTH = ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] CONNECTION = ascii("connection");
    /** Set by the model server when the request waited for its model to load (a catalog's cold load). */
    static final byte[] MODEL_LOAD = ascii("x-model-load");
    private static final byte[] COLD = ascii("cold");
    private static final byte[] CHUNKED = ascii("chunked");
    private static final byte[] CLOSE = ascii("close");

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private int fill() throws IOException {
        int n = in.read(buffer, 0, buffer.length);
        position = 0;
        limit = Math.max(n, 0);
        return n;
    }

    /** The next line of the answer (CRLF or LF ended) into `line`, without its end. */
    private void readLine() throws IOException {
        lineLength = 0;
        while (true) {
            if (position == limit && fill() < 0) {
                throw new EOFException("the answer ended early");
            }
            byte b = buffer[position++];
            if (b == '\n') {
                if (lineLength > 0 && line[lineLength - 1] == '\r') {
                    lineLength--;
                }
                return;
            }
            if (lineLength == line.length) {
                if (line.length >= 65536) {
                    throw new ProtocolException("a header line over 64 KiB");
                }
                line = Arrays.copyOf(line, line.length * 2);
            }
            line[lineLength++] = b;
        }
    }

    private boolean startsWith(byte[] prefix) {
        return lineLength >= prefix.length && Arrays.equals(line, 0, prefix.length, prefix, 0, prefix.length);
    }

    private int digit(int at) throws ProtocolException {
        int d = line[at] - '0';
        if (d < 0 || d > 9) {
            throw new ProtocolException("not an HTTP/1.x status line: " + new String(line, 0, lineLength, StandardCharsets.ISO_8859_1));
        }
        return d;
    }

    private int indexOf(char c) {
        for (int i = 0; i < lineLength; i++) {
            if (line[i] == c) {
                return i;
            }
        }
        return -1;
    }

    /** Whether the line's header name is `lowerCaseName`, in any case. */
    private boolean named(byte[] lowerCaseName) {
        for (int i = 0; i < lowerCaseName.length; i++) {
            int b = line[i];
            if ((b >= 'A' && b <= 'Z' ? b + 32 : b) != lowerCaseName[i]) {
                return false;
            }
        }
        return true;
    }

    /** Whether the line from `from` holds `lowerCaseWord`, in any case. */
    private boolean contains(int from, byte[] lowerCaseWord) {
        outer:
        for (int i = from; i + lowerCaseWord.length <= lineLength; i++) {
            for (int j = 0; j < lowerCaseWord.length; j++) {
                int b = line[i + j];
                if ((b >= 'A' && b <= 'Z' ? b + 32 : b) != lowerCaseWord[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** The number (decimal or hexadecimal) that the line holds from `from`, spaces around it allowed, up to a `;`. */
    private long number(int from, int radix) throws ProtocolException {
        long value = 0;
        int digits = 0;
        for (int i = from; i < lineLength && line[i] != ';'; i++) {
            int d = Character.digit(line[i], radix);
            if (d >= 0 && value < Long.MAX_VALUE / radix - radix) {
                value = value * radix + d;
                digits++;
            } else if (line[i] != ' ' && line[i] != '\t') {
                throw new ProtocolException("not a length: " + new String(line, 0, lineLength, StandardCharsets.ISO_8859_1));
            }
        }
        if (digits == 0) {
            throw new ProtocolException("no length: " + new String(line, 0, lineLength, StandardCharsets.ISO_8859_1));
        }
        return value;
    }

    /** Reads `length` bytes of body (or up to the end of the stream for Long.MAX_VALUE). */
    private void readBody(long length) throws IOException {
        long left = length;
        while (left > 0) {
            if (position == limit && fill() < 0) {
                if (length == Long.MAX_VALUE) {
                    return;
                }
                throw new EOFException("the answer ended early");
            }
            int n = (int) Math.min(left, limit - position);
            if (bodyLength + n > body.length) {
                body = Arrays.copyOf(body, Math.max(body.length * 2, bodyLength + n));
            }
            System.arraycopy(buffer, position, body, bodyLength, n);
            position += n;
            bodyLength += n;
            left -= n;
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing is all that is left to do
            }
            socket = null;
        }
    }
}
