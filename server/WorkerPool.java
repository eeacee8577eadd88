package server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import lib.model.Answer;

/**
 * The threads that run forwards: as many as may compute at once (the cores divided by the
 * intra-op threads of one forward), shared by every model copy. A copy with queued work is put on
 * the ready line once per queued job; a worker takes it, leases one of its runners, takes a batch
 * from its queue and answers every job of it. A request that finds a worker's share of the cores
 * free and nothing queued ahead of it is computed on its own request thread instead, so at low load
 * it skips the hand-off to a worker and back; the slots keep forwards at one per worker either way.
 */
final class WorkerPool {
    private final LinkedBlockingQueue<ModelCopy> ready = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    /** Forwards that may run at once, on workers or request threads: one per worker. */
    private final Semaphore slots;
    private final int maxBatchSize;
    private final long maxBatchDelayNanos;
    private final boolean postprocess;
    private final ServerMetrics metrics;
    private volatile boolean running = true;

    WorkerPool(int workers, int maxBatchSize, int maxBatchDelayMs, boolean postprocess, ServerMetrics metrics) {
        this.maxBatchSize = maxBatchSize;
        this.maxBatchDelayNanos = TimeUnit.MILLISECONDS.toNanos(maxBatchDelayMs);
        this.postprocess = postprocess;
        this.metrics = metrics;
        this.slots = new Semaphore(workers);
        for (int i = 0; i < workers; i++) {
            threads.add(Thread.ofPlatform().name("worker-" + i).daemon().start(this::work));
        }
    }

    int workers() {
        return threads.size();
    }

    /**
     * Runs the job at once on the calling thread when nothing of its copy is queued ahead of it and
     * a forward's share of the cores is free (no hand-off to a worker and back: at low load that
     * is most of the server's added latency); otherwise queues it. Never with a batch delay: that
     * asks requests to wait for company (GPUs), which only the batcher gives. False when the queue
     * is full.
     */
    boolean submit(ModelCopy copy, InferenceJob job, boolean mayRunHere) {
        if (mayRunHere && maxBatchDelayNanos == 0 && runNow(copy, job)) {
            return true;
        }
        if (!copy.queue.offer(job)) {
            return false;
        }
        ready.add(copy);
        return true;
    }

    private boolean runNow(ModelCopy copy, InferenceJob job) {
        // a job queued between this check and the slot runs after this one: order within a copy is kept only loosely
        if (copy.queue.size() > 0 || !slots.tryAcquire()) {
            return false;
        }
        ServedModel.Runner runner = copy.lease();
        if (runner == null) {
            slots.release();
            return false;
        }
        try {
            run(copy, runner, List.of(job));
        } finally {
            finish(copy, runner);
        }
        return true;
    }

    private void finish(ModelCopy copy, ServedModel.Runner runner) {
        copy.release(runner);
        slots.release();
        if (copy.queue.size() > 0) {
            ready.add(copy);
        }
    }

    private void work() {
        while (running) {
            ModelCopy copy;
            try {
                copy = ready.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (copy == null) {
                continue;
            }
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                return;
            }
            ServedModel.Runner runner = copy.lease();
            if (runner == null) {
                slots.release();
                continue; // whoever holds its runners puts the copy back when done
            }
            int idleOthers = slots.availablePermits(); // this worker holds its own slot already
            try {
                List<InferenceJob> batch = copy.queue.takeBatch(batchLimit(copy, idleOthers), idleOthers > 0 ? 0 : maxBatchDelayNanos);
                if (!batch.isEmpty()) {
                    run(copy, runner, batch);
                }
            } catch (InterruptedException e) {
                return;
            } finally {
                finish(copy, runner);
            }
        }
    }

    /**
     * How many queued requests this worker takes. While other workers are idle it takes only its
     * share of what is queued and does not wait for more: on CPU two forwards side by side beat one
     * forward of twice the rows, and waiting would only delay a request an idle worker could start.
     * When every worker is busy, requests queue up anyway and batches fill to maxBatchSize.
     */
    private int batchLimit(ModelCopy copy, int idleOthers) {
        ServedModel model = copy.model();
        int limit = Math.min(maxBatchSize, model == null ? 1 : model.maxBatchRows());
        if (idleOthers <= 0) {
            return limit;
        }
        int share = (copy.queue.size() + idleOthers) / (idleOthers + 1);
        return Math.max(1, Math.min(limit, share));
    }

    private void run(ModelCopy copy, ServedModel.Runner runner, List<InferenceJob> batch) {
        long start = System.nanoTime();
        List<lib.model.QaCodec.Encoded> inputs = new ArrayList<>(batch.size());
        for (InferenceJob job : batch) {
            inputs.add(job.input);
            metrics.queueWait.labelValues(copy.name).observe((start - job.queuedNanos) / 1e9);
        }
        metrics.batchSize.labelValues(copy.name).observe(batch.size());
        List<Answer> answers;
        try {
            answers = runner.answer(inputs, postprocess);
        } catch (RuntimeException e) {
            ModelServer.log("level=error event=inference_failed model=%s batch=%d error=\"%s\"", copy.name, batch.size(),
                    String.valueOf(e.getMessage()).replace("\"", "'"));
            ServerError failed = new ServerError(500, "inference failed: " + e.getClass().getSimpleName());
            batch.forEach(job -> job.result.completeExceptionally(failed));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).result.complete(answers.get(i));
        }
    }

    void stop() {
        running = false;
        threads.forEach(Thread::interrupt);
    }
}
