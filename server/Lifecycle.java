package server;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server's state from start to exit: loading the pinned models in the background (requests
 * meanwhile get a quick 503), ready, draining on SIGTERM the Kubernetes way, stopped; and the
 * predictions in flight, which a drain waits for.
 */
final class Lifecycle {
    enum State { LOADING, READY, DRAINING, STOPPING, FAILED }

    private final ModelStore store;
    private final ServerSettings settings;
    private final ServerMetrics metrics;
    /** Predictions accepted and not answered yet (waiting for a load, queued or computing). */
    private final AtomicInteger inFlight = new AtomicInteger();
    private final CountDownLatch loaded = new CountDownLatch(1);
    private volatile State state = State.LOADING;
    private volatile String failure;

    Lifecycle(ModelStore store, ServerSettings settings, ServerMetrics metrics) {
        this.store = store;
        this.settings = settings;
        this.metrics = metrics;
    }

    State state() {
        return state;
    }

    /** Why loading failed; null unless FAILED. */
    String failure() {
        return failure;
    }

    int inFlight() {
        return inFlight.get();
    }

    /** Loads the pinned models (all of them when there is no memory budget) on a thread of its own; the others load on demand. */
    void startLoading() {
        Thread.ofPlatform().name("model-loader").start(this::loadPinned);
    }

    private void loadPinned() {
        try {
            store.loadPinned(() -> state == State.LOADING);
            if (state == State.LOADING) {
                state = State.READY;
                Log.line("level=info event=ready models=%d copies=%d loaded_copies=%d", settings.models().folders().size(),
                        settings.totalCopies(), store.loadedCopies());
            }
        } catch (Throwable e) {
            failure = e.getMessage() == null ? e.toString() : e.getMessage();
            state = State.FAILED;
            if (!(e instanceof ServerError)) { // a model that failed to load said why already (ModelStore)
                Log.line("level=error event=load_failed error=\"%s\"", Log.quoted(failure));
            }
        } finally {
            loaded.countDown();
        }
    }

    /** Waits until the pinned models are loaded; false when loading failed. */
    boolean awaitLoaded() {
        try {
            loaded.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return state != State.FAILED;
    }

    /** Null when the server takes predictions now; else the 503 that refuses them (loading, shutting down, failed). */
    ServerError refusal(ModelCopy copy) {
        State s = state;
        if (s == State.READY || s == State.DRAINING) {
            return null;
        }
        metrics.refusals.count(copy.name, "not_ready");
        return ServerError.unavailable(switch (s) {
            case STOPPING -> "the server is shutting down";
            case FAILED -> "the models failed to load: " + failure;
            default -> "models are loading (" + store.loadedCopies() + " of " + settings.totalCopies() + " ready); try again soon";
        }, 5);
    }

    /** Counts an accepted prediction until it is answered: the returned action lets go of it (once, however often run). */
    Runnable enter() {
        inFlight.incrementAndGet();
        java.util.concurrent.atomic.AtomicBoolean held = new java.util.concurrent.atomic.AtomicBoolean(true);
        return () -> {
            if (held.getAndSet(false)) {
                inFlight.decrementAndGet();
            }
        };
    }

    /**
     * On SIGTERM, the Kubernetes way: readiness turns 503 at once, but predictions are still served
     * for DRAIN_DELAY seconds while the endpoint is removed from the Service; then new ones are
     * refused and those queued and running finish (for at most DRAIN_SECONDS); then stop runs
     * (HTTP, workers) and the models close.
     */
    void drain(Runnable stop) {
        State before = state;
        if (before == State.READY || before == State.LOADING) {
            state = State.DRAINING;
            Log.line("level=info event=draining pending=%d drain_delay=%d", inFlight.get(), settings.drain().delaySeconds());
            if (before == State.READY) {
                sleep(TimeUnit.SECONDS.toMillis(settings.drain().delaySeconds()));
            }
        }
        state = State.STOPPING;
        Log.line("level=info event=stopping pending=%d", inFlight.get());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.drain().seconds());
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            sleep(20);
        }
        if (inFlight.get() > 0) {
            Log.line("level=warn event=drain_timeout pending=%d", inFlight.get());
        }
        sleep(50); // the last answers are being written
        stop.run();
        store.closeAll();
        Log.line("level=info event=stopped");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
