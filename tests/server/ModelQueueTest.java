package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import lib.model.QaCodec;
import org.junit.jupiter.api.Test;

/** The queue's batcher on its own: what it drops, and what it does without its lock. */
class ModelQueueTest {
    /** Threads of their own: the common pool may have a single thread on a small machine. */
    static final java.util.concurrent.ExecutorService THREADS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r);
        t.setDaemon(true);
        return t;
    });

    static InferenceJob job(BooleanSupplier connected) {
        return new InferenceJob(new QaCodec.Encoded(new long[] {1}, new long[] {1}, false), connected);
    }

    static <T> T within(java.util.concurrent.Callable<T> call) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, THREADS).get(5, TimeUnit.SECONDS);
    }

    @Test
    void askingWhetherAClientIsStillThereHoldsNoLock() throws Exception {
        ModelQueue queue = new ModelQueue(4);
        CountDownLatch asking = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        InferenceJob slowToAsk = job(() -> {
            asking.countDown();
            try {
                return answer.await(30, TimeUnit.SECONDS); // as a read of the kernel's table under load
            } catch (InterruptedException e) {
                return false;
            }
        });
        queue.offer(slowToAsk);
        CompletableFuture<List<InferenceJob>> batch = CompletableFuture.supplyAsync(() -> {
            try {
                return queue.takeBatch(4, 0);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, THREADS);
        assertTrue(asking.await(10, TimeUnit.SECONDS), "the batcher asks about its job");
        // meanwhile request threads queue and scrapes read the depth at once
        assertTrue(within(() -> queue.offer(job(() -> true))), "queued while the batcher asks");
        assertEquals(1, within(queue::size));
        answer.countDown();
        assertEquals(List.of(slowToAsk), batch.get(10, TimeUnit.SECONDS));
    }

    @Test
    void jobsWhoseClientLeftAreDroppedAndTheBatchGoesOnWithTheRest() throws Exception {
        ModelQueue queue = new ModelQueue(4);
        InferenceJob gone = job(() -> false);
        InferenceJob timedOut = job(() -> true);
        timedOut.result.completeExceptionally(new java.util.concurrent.TimeoutException());
        InferenceJob wanted = job(() -> true);
        queue.offer(gone);
        queue.offer(timedOut);
        queue.offer(wanted);
        assertEquals(List.of(wanted), queue.takeBatch(4, 0));
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> gone.result.get());
        assertTrue(e.getCause() instanceof ModelQueue.ClientGone, String.valueOf(e.getCause()));
        assertTrue(timedOut.result.isCompletedExceptionally());
        assertEquals(List.of(), queue.takeBatch(4, 0), "nothing left");
        queue.offer(job(() -> false));
        assertEquals(List.of(), queue.takeBatch(4, 0), "only a departed client's job: nothing to compute");
    }
}
