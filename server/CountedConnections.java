package server;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ProtocolConfigs;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionProvider;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A listener's HTTP/1.1 connections, counted: Helidon's own HTTP/1.1 connection selector, each
 * connection it makes wrapped to count itself while it is served (from its first bytes until it
 * closes). Helidon does not tell how many connections a listener has; the server needs to know
 * whether each open connection could have a core to itself (see ModelServer.fewConnections).
 */
final class CountedConnections implements ServerConnectionSelector {
    private final ServerConnectionSelector http1;
    private final AtomicInteger open = new AtomicInteger();

    CountedConnections(String listener, Http1Config config) {
        this.http1 = new Http1ConnectionProvider().create(listener, config, ProtocolConfigs.create(List.of(config)));
    }

    /** Connections being served now. */
    int open() {
        return open.get();
    }

    @Override
    public int bytesToIdentifyConnection() {
        return http1.bytesToIdentifyConnection();
    }

    @Override
    public Support supports(BufferData request) {
        return http1.supports(request);
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        return http1.supportedApplicationProtocols();
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        ServerConnection connection = http1.connection(ctx);
        return new ServerConnection() {
            @Override
            public void handle(Limit limit) throws InterruptedException {
                open.incrementAndGet();
                try {
                    connection.handle(limit);
                } finally {
                    open.decrementAndGet();
                }
            }

            @Override
            public Duration idleTime() {
                return connection.idleTime();
            }

            @Override
            public void close(boolean interrupt) {
                connection.close(interrupt);
            }
        };
    }
}
