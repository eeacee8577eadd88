package server;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which TCP connections their client has closed while the server still holds them open. Jetty
 * reads an HTTP/1.1 connection only between requests, so a client that hangs up while its request
 * waits in a queue goes unnoticed until its answer is written. The kernel knows at once: the
 * server's end of the connection moves to CLOSE_WAIT. On Linux (every container and pod) that is
 * in /proc/net/tcp and tcp6; elsewhere no connection is ever reported closed.
 *
 * <p>One scan serves every question asked within {@link #MAX_AGE_NANOS}, so asking about each
 * queued request before its forward costs one read of the tables per 250 ms at most: a read walks
 * the kernel's whole connection table, however few connections the server holds (its cost:
 * docs/benchmarks.md). A client that hung up less than 250 ms ago is computed.
 */
final class ClosedPeers {
    private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
    private static final String CLOSE_WAIT = "08";
    /** The state column as it stands in a line, spaces around it: a cheap first test of each line. */
    private static final String CLOSE_WAIT_COLUMN = " " + CLOSE_WAIT + " ";
    static final long MAX_AGE_NANOS = 250_000_000;

    /** A request queued less than this is computed without asking: it costs little anyway. */
    private static final long CHECK_AFTER_NANOS = 10_000_000;

    private Set<String> closed = Set.of();
    private long scannedAt = Long.MIN_VALUE / 2;

    /**
     * Whether the client of a request is still connected: not if Jetty failed the exchange or
     * closed the connection, nor if the kernel says the client hung up (asked only once the
     * request has waited 10 ms).
     */
    java.util.function.BooleanSupplier connected(io.javalin.http.Context ctx) {
        try {
            var request = org.eclipse.jetty.ee10.servlet.ServletContextRequest.getServletContextRequest(ctx.req());
            java.util.concurrent.atomic.AtomicBoolean failed = new java.util.concurrent.atomic.AtomicBoolean();
            request.addFailureListener(t -> failed.set(true));
            var endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
            SocketAddress local = endPoint.getLocalSocketAddress();
            SocketAddress remote = endPoint.getRemoteSocketAddress();
            long since = System.nanoTime();
            return () -> !failed.get() && endPoint.isOpen() && (System.nanoTime() - since < CHECK_AFTER_NANOS || !closed(local, remote));
        } catch (RuntimeException | LinkageError e) {
            return () -> true;
        }
    }

    /** True when the client of the connection remote -> local has closed its side. */
    synchronized boolean closed(SocketAddress local, SocketAddress remote) {
        if (!(local instanceof InetSocketAddress l) || !(remote instanceof InetSocketAddress r) || l.getAddress() == null
                || r.getAddress() == null) {
            return false;
        }
        long now = System.nanoTime();
        if (now - scannedAt > MAX_AGE_NANOS) {
            closed = scan();
            scannedAt = now;
        }
        return closed.contains(key(l.getAddress(), l.getPort(), r.getAddress(), r.getPort()));
    }

    private static String key(InetAddress local, int localPort, InetAddress remote, int remotePort) {
        return local.getHostAddress() + "|" + localPort + "|" + remote.getHostAddress() + "|" + remotePort;
    }

    /** The connections in CLOSE_WAIT: "sl local_address rem_address st ..." with hex addresses and ports. */
    private static Set<String> scan() {
        Set<String> found = new HashSet<>();
        for (Path table : TABLES) {
            List<String> lines;
            try {
                lines = Files.readAllLines(table);
            } catch (IOException | SecurityException e) {
                continue; // not Linux, or no IPv6
            }
            for (int i = 1; i < lines.size(); i++) {
                String line = lines.get(i);
                if (!line.contains(CLOSE_WAIT_COLUMN)) {
                    continue; // most lines: not worth splitting
                }
                String[] f = line.strip().split("\\s+");
                if (f.length > 3 && f[3].equals(CLOSE_WAIT)) {
                    try {
                        String[] local = f[1].split(":");
                        String[] remote = f[2].split(":");
                        found.add(key(address(local[0]), Integer.parseInt(local[1], 16), address(remote[0]),
                                Integer.parseInt(remote[1], 16)));
                    } catch (RuntimeException | UnknownHostException e) {
                        // a line in a form we do not know: not ours to judge
                    }
                }
            }
        }
        return found;
    }

    /** The kernel writes addresses as 32-bit words in host (little-endian) order; v4-mapped v6 comes back as v4. */
    static InetAddress address(String hex) throws UnknownHostException {
        byte[] bytes = new byte[hex.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            byte[] w = new BigInteger("1" + hex.substring(word * 8, word * 8 + 8), 16).toByteArray();
            for (int b = 0; b < 4; b++) {
                bytes[word * 4 + b] = w[w.length - 1 - b];
            }
        }
        return InetAddress.getByAddress(bytes);
    }
}
