package server;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One model copy's queue of accepted requests, bounded (a full queue refuses at once rather than
 * letting latency grow without limit), and its batcher: a worker takes up to maxBatchSize jobs,
 * waiting at most maxBatchDelay after the oldest one was queued for more to arrive. Abandoned jobs
 * (timed out, client gone) are dropped here, never computed.
 */
final class ModelQueue {
    /** Why a queued job was dropped: its client closed the connection before its turn. */
    static final class ClientGone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ClientGone() {
            super("the client went away before its request was computed", null, false, false);
        }
    }

    private final int capacity;
    private final ArrayDeque<InferenceJob> jobs = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private volatile long nanosPerRequest;

    ModelQueue(int capacity) {
        this.capacity = capacity;
    }

    /** Queues the job; false when the queue is full. */
    boolean offer(InferenceJob job) {
        lock.lock();
        try {
            if (jobs.size() >= capacity) {
                return false;
            }
            jobs.addLast(job);
            arrived.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Records a forward of rows requests that took nanos: the service time per request is a moving
     * average (each forward weighs 1/8), so it follows the batch shapes the load brings.
     */
    void served(int rows, long nanos) {
        long perRow = Math.max(1, nanos / Math.max(1, rows));
        lock.lock();
        try {
            nanosPerRequest = nanosPerRequest == 0 ? perRow : nanosPerRequest + (perRow - nanosPerRequest) / 8;
        } finally {
            lock.unlock();
        }
    }

    /** The measured service time of one request of this copy (0 before any forward). */
    long nanosPerRequest() {
        return nanosPerRequest;
    }

    boolean full() {
        lock.lock();
        try {
            return jobs.size() >= capacity;
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return jobs.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next batch: empty when nothing is queued; otherwise at least one job still wanted and at
     * most maxSize, waiting until maxDelayNanos after the oldest job was queued for the rest.
     * Abandoned jobs are dropped after the lock is released: asking whether a client is still
     * there may read the kernel's connection table, and request threads queueing, refusals and
     * scrapes of the queue depth must not wait for that.
     */
    List<InferenceJob> takeBatch(int maxSize, long maxDelayNanos) throws InterruptedException {
        while (true) {
            List<InferenceJob> batch = takeQueued(maxSize, maxDelayNanos);
            if (batch.isEmpty()) {
                return batch;
            }
            batch.removeIf(job -> {
                if (!job.abandoned()) {
                    return false;
                }
                job.result.completeExceptionally(new ClientGone()); // nothing if it timed out already
                return true;
            });
            if (!batch.isEmpty()) {
                return batch;
            }
        }
    }

    private List<InferenceJob> takeQueued(int maxSize, long maxDelayNanos) throws InterruptedException {
        List<InferenceJob> batch = new ArrayList<>(Math.min(maxSize, 64));
        lock.lock();
        try {
            InferenceJob first = jobs.pollFirst();
            if (first == null) {
                return batch;
            }
            batch.add(first);
            long until = first.queuedNanos + maxDelayNanos;
            while (batch.size() < maxSize) {
                InferenceJob job = jobs.pollFirst();
                if (job != null) {
                    batch.add(job);
                    continue;
                }
                long wait = until - System.nanoTime();
                if (wait <= 0) {
                    break;
                }
                arrived.awaitNanos(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(100)));
            }
            return batch;
        } finally {
            lock.unlock();
        }
    }

}
