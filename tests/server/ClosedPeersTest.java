package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The kernel's view of a connection whose client hung up, as the server reads it. */
class ClosedPeersTest {
    @Test
    void kernelAddressesReadAsTheirHostsDo() throws Exception {
        assertEquals(InetAddress.getByName("127.0.0.1"), ClosedPeers.address("0100007F"));
        assertEquals(InetAddress.getByName("10.1.2.3"), ClosedPeers.address("0302010A"));
        // an IPv4 client of an IPv6 socket: v4-mapped, as Java reports it
        assertEquals(InetAddress.getByName("127.0.0.1"), ClosedPeers.address("0000000000000000FFFF00000100007F"));
        assertEquals(InetAddress.getByName("::1"), ClosedPeers.address("00000000000000000000000001000000"));
    }

    @Test
    void aConnectionIsClosedOnceItsClientHangsUp() throws Exception {
        ClosedPeers peers = new ClosedPeers();
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Socket client = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
            try (Socket server = listener.accept()) {
                Thread.sleep(10);
                assertFalse(peers.closed(server.getLocalSocketAddress(), server.getRemoteSocketAddress()));
                client.close();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                boolean closed = false;
                while (!closed && System.nanoTime() < until) {
                    Thread.sleep(10);
                    closed = peers.closed(server.getLocalSocketAddress(), server.getRemoteSocketAddress());
                }
                assertTrue(closed, "CLOSE_WAIT seen in /proc/net/tcp");
            }
        }
    }
}
