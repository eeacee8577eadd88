package client;

import java.io.BufferedInputStream;
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
    private byte[] body = new byte[1024];
    private int bodyLength;
    private final StringBuilder line = new StringBuilder(128);

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
            in = new BufferedInputStream(s.getInputStream(), 8192);
            out = s.getOutputStream();
        }
        answering = false;
        out.write(request);
        out.flush();
        int first = in.read();
        if (first < 0) {
            throw new EOFException("the server closed the connection without an answer");
        }
        answering = true;
        String status = readLine(first);
        if (!status.startsWith("HTTP/1.") || status.length() < 12) {
            throw new ProtocolException("not an HTTP/1.x status line: " + status);
        }
        int code = Integer.parseInt(status, 9, 12, 10);
        long length = -1;
        boolean chunked = false;
        boolean close = status.startsWith("HTTP/1.0");
        for (String h = readLine(in.read()); !h.isEmpty(); h = readLine(in.read())) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String value = h.substring(colon + 1).strip();
            if (h.regionMatches(true, 0, "content-length", 0, colon)) {
                length = Long.parseLong(value);
            } else if (h.regionMatches(true, 0, "transfer-encoding", 0, colon)) {
                chunked = value.toLowerCase(java.util.Locale.ROOT).contains("chunked");
            } else if (h.regionMatches(true, 0, "connection", 0, colon)) {
                close = value.equalsIgnoreCase("close");
            }
        }
        bodyLength = 0;
        if (chunked) {
            for (long size = chunkSize(); size > 0; size = chunkSize()) {
                readBody(size);
                readLine(in.read());
            }
            while (!readLine(in.read()).isEmpty()) { // trailers
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

    private long chunkSize() throws IOException {
        String size = readLine(in.read());
        int semicolon = size.indexOf(';');
        return Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).strip(), 16);
    }

    /** Reads `length` bytes of body (or up to the end of the stream for Long.MAX_VALUE). */
    private void readBody(long length) throws IOException {
        long left = length;
        while (left > 0) {
            if (bodyLength == body.length) {
                body = Arrays.copyOf(body, body.length * 2);
            }
            int n = in.read(body, bodyLength, (int) Math.min(left, body.length - bodyLength));
            if (n < 0) {
                if (length == Long.MAX_VALUE) {
                    return;
                }
                throw new EOFException("the answer ended early");
            }
            bodyLength += n;
            left -= n;
        }
    }

    /** A header line (ASCII, CRLF or LF ended) starting with byte `first`, without its end. */
    private String readLine(int first) throws IOException {
        line.setLength(0);
        for (int b = first; b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new EOFException("the answer ended early");
            }
            if (b != '\r') {
                line.append((char) b);
            }
            if (line.length() > 65536) {
                throw new ProtocolException("a header line over 64 KiB");
            }
        }
        return line.toString();
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
