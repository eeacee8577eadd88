package server;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.eclipse.jetty.io.Connection;

/**
 * The main port's open connections, counted as Jetty opens and closes them (a listener on the
 * connector): whether each could have a core to itself decides where a request computes
 * ({@link Predictions}). An idle keep-alive connection counts: its client may send at any moment.
 */
final class MainConnections implements Connection.Listener, IntSupplier {
    private final AtomicInteger open = new AtomicInteger();

    @Override
    public void onOpened(Connection connection) {
        open.incrementAndGet();
    }

    @Override
    public void onClosed(Connection connection) {
        open.decrementAndGet();
    }

    @Override
    public int getAsInt() {
        return open.get();
    }
}
