package lib.model;

//SOURCES ModelException.java

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A fixed set of predictors on one model's shared weights, each used by one thread at a time:
 * lease one, run forwards on it, give it back. Callers that may wait {@link #take} one ({@link
 * QaModel}); the server's workers {@link #poll} and leave the work queued while all are busy. The
 * one given back last is leased first (its memory is the warmest). Closing closes them all; one
 * given back after that, or to another pool, is dropped.
 *
 * @param <P> a predictor, or the server's runner that wraps one
 */
public final class PredictorPool<P extends AutoCloseable> implements AutoCloseable {
    private final List<P> all;
    private final ArrayDeque<P> idle;
    private boolean closed;

    /** Makes count predictors (0: an empty pool, which never leases one); closes those made when one fails. */
    public PredictorPool(int count, Supplier<? extends P> make) {
        List<P> made = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                made.add(make.get());
            }
        } catch (RuntimeException e) {
            closeAll(made);
            throw e;
        }
        this.all = List.copyOf(made);
        this.idle = new ArrayDeque<>(made);
    }

    /** How many predictors the pool holds: how many forwards on it may run at once. */
    public int size() {
        return all.size();
    }

    /** A free predictor, or null when every one is leased or the pool is closed. */
    public synchronized P poll() {
        return idle.pollFirst();
    }

    /** A free predictor, waiting for one while all are leased. */
    public synchronized P take() throws InterruptedException {
        while (idle.isEmpty()) {
            if (closed || all.isEmpty()) {
                throw new IllegalStateException("no predictor will be given back: the pool is " + (closed ? "closed" : "empty"));
            }
            wait();
        }
        return idle.pollFirst();
    }

    /** Gives a leased predictor back; one of another pool, or given back after close, is dropped. */
    public synchronized void release(P predictor) {
        if (!closed && all.contains(predictor)) {
            idle.addFirst(predictor);
            notify();
        }
    }

    /** Closes every predictor, leased or not: a lease still running ends on a closed predictor. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            idle.clear();
            notifyAll();
        }
        closeAll(all);
    }

    private static void closeAll(List<? extends AutoCloseable> predictors) {
        RuntimeException failed = null;
        for (AutoCloseable p : predictors) {
            try {
                p.close();
            } catch (Exception e) {
                if (failed == null) {
                    failed = e instanceof RuntimeException r ? r : new ModelException("cannot close a predictor: " + e.getMessage(), e);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }
}
