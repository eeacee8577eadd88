package server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import lib.model.Answer;

/**
 * The path of one prediction, and all a handler calls: admit it (503 while loading or stopping,
 * when its copy's queue is full or would not answer it within the deadline, before reading the
 * body), count it as preferred or foreign (with a catalog), acquire its model (loading it first
 * when a memory budget left it out, which its answer then says), encode it, compute it on the
 * request thread when a worker's share of the cores is idle and the server is quiet, else queue it
 * for the batcher; bound it by the deadline; release the model. A refusal is a failed future,
 * never a branch in the handler.
 */
final class Predictions {
    /** A question and its context. */
    record Pair(String question, String context) {
    }

    /** A request's answers, in order, and whether it waited for its model to be pulled and/or loaded (a cold load). */
    record Answered(List<Answer> answers, boolean coldLoad) {
    }

    private final ModelStore store;
    private final WorkerPool pool;
    private final Lifecycle lifecycle;
    private final ServerMetrics metrics;
    private final ServerSettings.Batching batching;
    private final IntSupplier mainConnections;
    private final ServerSettings.Place place;
    /** Each model's placement label, computed once: a server's place does not change while it runs. */
    private final Map<String, String> placements = new ConcurrentHashMap<>();

    /** place: this server's among a catalog's servers, or null (nothing placed, nothing counted by placement). */
    Predictions(ModelStore store, WorkerPool pool, Lifecycle lifecycle, ServerMetrics metrics, ServerSettings.Batching batching,
                IntSupplier mainConnections, ServerSettings.Place place) {
        this.store = store;
        this.pool = pool;
        this.lifecycle = lifecycle;
        this.metrics = metrics;
        this.batching = batching;
        this.mainConnections = mainConnections;
        this.place = place;
    }

    /**
     * The copy a request names: model<i> (the original's, numbered across the models), or a
     * model's name (its copy with the shortest queue); a ServerError 404 for any other.
     */
    ModelCopy copy(String name) {
        List<ModelCopy> copies = store.copies();
        Matcher m = lib.model.ModelEntries.COPY_ID.matcher(name);
        if (m.matches() && m.group(1).length() < 6 && Integer.parseInt(m.group(1)) < copies.size()) {
            return copies.get(Integer.parseInt(m.group(1)));
        }
        DistinctModel named = m.matches() ? null : store.named(name);
        if (named == null) {
            // the original's message, for any model it does not have
            throw new ServerError(404, "Model " + name + " does not exist. Try a model name up to model" + (copies.size() - 1)
                    + (store.models().size() > 1 ? " or one of " + store.models().stream().map(DistinctModel::name).toList() : ""));
        }
        ModelCopy best = named.copies.get(0);
        for (ModelCopy c : named.copies) {
            if (c.queue.size() < best.queue.size()) {
                best = c;
            }
        }
        return best;
    }

    /**
     * The answers of the copy's model to the pairs, in order (each pair is one job for the
     * batcher), and whether the request waited for the model's load; failed with a ServerError (503 refusals, 500), a TimeoutException past
     * REQUEST_TIMEOUT_MS or ModelQueue.ClientGone. connected tells whether the client is still
     * there: a queued job whose client left is dropped.
     */
    CompletableFuture<Answered> predict(ModelCopy copy, List<Pair> pairs, BooleanSupplier connected) {
        ServerError refused = refusal(copy);
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        Runnable leave = lifecycle.enter();
        int timeout = batching.requestTimeoutMs();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
        CompletableFuture<Answered> answers = new CompletableFuture<>();
        Thread requestThread = Thread.currentThread();
        if (place != null) {
            String name = copy.distinct.name();
            metrics.placement.labelValues(name, placements.computeIfAbsent(name, place::of)).inc();
        }
        store.acquire(copy.distinct).whenComplete((cold, failed) -> {
            if (failed != null || answers.isDone()) {
                store.release(copy.distinct);
                answers.completeExceptionally(failed instanceof CompletionException && failed.getCause() != null ? failed.getCause()
                        : failed != null ? failed : new CancellationException());
                return;
            }
            try {
                // run here only on the request thread (the model was in memory), never on a loader's
                boolean here = Thread.currentThread() == requestThread && pairs.size() == 1 && quiet();
                List<InferenceJob> jobs = submit(copy, pairs, connected, here);
                List<CompletableFuture<Answer>> results = jobs.stream().map(job -> job.result).toList();
                if (timeout > 0) {
                    long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                    results.forEach(r -> r.orTimeout(left, TimeUnit.MILLISECONDS));
                }
                CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).whenComplete((all, e) -> {
                    store.release(copy.distinct);
                    if (e != null) {
                        answers.completeExceptionally(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
                    } else {
                        answers.complete(new Answered(results.stream().map(CompletableFuture::join).toList(), cold));
                    }
                });
            } catch (RuntimeException e) {
                store.release(copy.distinct);
                answers.completeExceptionally(e);
            }
        });
        if (timeout > 0) {
            answers.orTimeout(timeout, TimeUnit.MILLISECONDS); // also bounds the wait for a cold model's load
        }
        answers.whenComplete((a, e) -> leave.run());
        return answers;
    }

    /**
     * The refusal of a request to the copy, a ServerError 503 counted by reason, when the server
     * does not take predictions now, the copy's queue is full, or the request would not be answered
     * within REQUEST_TIMEOUT_MS; null when it is admitted. A handler asks before reading the body,
     * so a refusal costs neither the body nor tokenizing.
     */
    ServerError refusal(ModelCopy copy) {
        ServerError refused = lifecycle.refusal(copy);
        if (refused == null && copy.queue.full()) {
            refused = refuseFull(copy);
        }
        if (refused == null && batching.requestTimeoutMs() > 0) {
            refused = refuseLate(copy);
        }
        return refused;
    }

    /**
     * The queue bound in time: a request is refused at once when those queued ahead of it, at the
     * copy's measured service time per request and its forwards side by side, would take longer
     * than REQUEST_TIMEOUT_MS, instead of waiting to time out (504) after holding a place in the
     * queue. Only with requests queued ahead: then forwards are running and keep the measure
     * fresh, whereas refusing on an empty queue could leave one slow forward's measure standing
     * with nothing computed to correct it. Nothing is refused before a forward has been measured.
     */
    private ServerError refuseLate(ModelCopy copy) {
        long perRequest = copy.queue.nanosPerRequest();
        if (perRequest <= 0 || copy.queue.size() == 0) {
            return null;
        }
        int parallel = Math.max(1, Math.min(pool.workers(), copy.runnerCount()));
        long expectedNanos = (copy.queue.size() + 1L) * perRequest / parallel;
        long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(batching.requestTimeoutMs());
        if (expectedNanos <= timeoutNanos) {
            return null;
        }
        metrics.refusals.count(copy.name, "deadline");
        return ServerError.unavailable(copy.name + " would not answer within request_timeout_ms=" + batching.requestTimeoutMs() + " ("
                + copy.queue.size() + " requests queued, about " + TimeUnit.NANOSECONDS.toMillis(expectedNanos) + " ms); try again shortly", 1);
    }

    /** Encodes the pairs and computes them here (see {@link WorkerPool#submit}) or queues them; a 503 when the queue is full. */
    private List<InferenceJob> submit(ModelCopy copy, List<Pair> pairs, BooleanSupplier connected, boolean here) {
        ServedModel model = copy.model();
        List<InferenceJob> jobs = new ArrayList<>(pairs.size());
        for (Pair p : pairs) {
            jobs.add(new InferenceJob(model.encode(p.question(), p.context()), connected));
        }
        for (InferenceJob job : jobs) {
            if (!pool.submit(copy, job, here)) {
                ServerError full = refuseFull(copy);
                jobs.forEach(j -> j.result.completeExceptionally(full)); // those queued already are dropped, not computed
                throw full;
            }
            job.result.whenComplete((answer, e) -> {
                if (e instanceof ModelQueue.ClientGone) {
                    metrics.refusals.count(copy.name, "client_gone");
                }
            });
        }
        return jobs;
    }

    /**
     * Whether a request may compute on its own thread. A forward in native code holds its virtual
     * thread's carrier, and there are as many carriers as cores. With no more predictions and
     * main-port connections than workers each of them can have a carrier; with more, a request not
     * yet read would wait for one (refusals included), so the workers compute.
     */
    private boolean quiet() {
        return lifecycle.inFlight() <= pool.workers() && mainConnections.getAsInt() <= pool.workers();
    }

    private ServerError refuseFull(ModelCopy copy) {
        metrics.refusals.count(copy.name, "queue_full");
        return ServerError.unavailable(copy.name + " is overloaded (" + batching.maxQueue() + " requests queued); try again shortly", 1);
    }
}
