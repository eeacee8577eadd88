package server;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Which distinct models are in memory. Without a memory budget every model is pinned and loads at
 * start. With one, a request for a model not in memory loads it (concurrent requests for it wait
 * on the same load) and, to make room, the least recently used models that are neither pinned nor
 * in use are unloaded; when all are in use, the load waits for one to be released. A model is in
 * use from the moment a request asks for it until its answer is done, so a model is never
 * unloaded under a queued or running request.
 */
final class ModelStore {
    enum State { UNLOADED, LOADING, LOADED }

    /** One distinct model and its copies; its mutable fields are guarded by the store. */
    static final class Stored {
        final ModelSource source;
        final long bytes;
        final Map<String, Object> metadata;
        final List<ModelCopy> copies = new ArrayList<>();
        private final List<ServedModel> loaded = new ArrayList<>();
        /** Written under the store's lock; read without it on the request path when there is no budget. */
        private volatile State state = State.UNLOADED;
        private CompletableFuture<Void> loading;
        private int inUse;
        private long lastUsed;
        private double loadSeconds;
        private String failure;

        Stored(ModelSource source, long bytes, Map<String, Object> metadata) {
            this.source = source;
            this.bytes = bytes;
            this.metadata = metadata;
        }

        String name() {
            return source.name();
        }
    }

    private static final CompletableFuture<Void> LOADED = CompletableFuture.completedFuture(null);

    private final ModelServer.Loader loader;
    private final ServerMetrics metrics;
    private final long budget;
    private final int runnersPerCopy;
    private final Map<String, Stored> byName = new LinkedHashMap<>();
    private final List<ModelCopy> copies = new ArrayList<>();
    private final ExecutorService loads = Executors.newCachedThreadPool(Thread.ofPlatform().name("model-load-", 0).daemon().factory());
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("model-room")
            .daemon().factory());
    /** Loads waiting for models in use to be released before they can make room, oldest first. */
    private final Deque<Stored> waiting = new ArrayDeque<>();
    private final long roomWaitMs;
    private final java.util.concurrent.atomic.AtomicBoolean trimPending = new java.util.concurrent.atomic.AtomicBoolean();
    private long used;
    private long clock;

    /** Checks that the models fit the budget (BadSetting when one never could) and numbers their copies. */
    ModelStore(List<ModelSource> sources, ModelServer.Loader loader, long budget, int runnersPerCopy, int maxQueue,
               long roomWaitMs, ServerMetrics metrics) {
        this.roomWaitMs = roomWaitMs;
        this.loader = loader;
        this.metrics = metrics;
        this.budget = budget;
        this.runnersPerCopy = runnersPerCopy;
        long pinnedBytes = 0;
        for (ModelSource source : sources) {
            Stored s = new Stored(source, loader.bytes(source), loader.metadata(source));
            if (budget > 0 && s.bytes > budget) {
                throw new ServerSettings.BadSetting("model " + source.name() + " needs " + MemoryBudget.mib(s.bytes)
                        + ", more than MODEL_MEMORY_BUDGET (" + MemoryBudget.mib(budget) + "): raise the budget or drop the model");
            }
            pinnedBytes += source.pinned() ? s.bytes : 0;
            byName.put(source.name(), s);
            for (int i = 0; i < source.copies(); i++) {
                ModelCopy copy = new ModelCopy(copies.size(), s, maxQueue);
                s.copies.add(copy);
                copies.add(copy);
            }
        }
        if (budget > 0 && pinnedBytes > budget) {
            throw new ServerSettings.BadSetting("the pinned models need " + MemoryBudget.mib(pinnedBytes)
                    + ", more than MODEL_MEMORY_BUDGET (" + MemoryBudget.mib(budget) + ")");
        }
        metrics.memoryBudget.set(budget);
    }

    List<ModelCopy> copies() {
        return copies;
    }

    Stored named(String name) {
        return byName.get(name);
    }

    List<Stored> models() {
        return List.copyOf(byName.values());
    }

    /** Loads the pinned models one after the other; throws what failed. */
    void loadPinned(java.util.function.BooleanSupplier go) throws Exception {
        for (Stored s : byName.values()) {
            if (s.source.pinned() && go.getAsBoolean()) {
                try {
                    acquire(s).join();
                } catch (java.util.concurrent.CompletionException e) {
                    throw e.getCause() instanceof Exception cause ? cause : e;
                } finally {
                    release(s);
                }
            }
        }
    }

    /**
     * Marks the model in use and completes once it is in memory: at once on a hit; after its load
     * on a miss (one load however many ask). A load that finds the budget held by models in use
     * waits for one of them to be released, for at most roomWaitMs (then 503). Every acquire is
     * paired with a {@link #release}; uses are counted only under a budget, the only case where a
     * model can be unloaded.
     */
    CompletableFuture<Void> acquire(Stored s) {
        if (budget <= 0 && s.state == State.LOADED) {
            // nothing is ever unloaded without a budget: no use to count, no lock on the request path
            metrics.modelRequests.labelValues(s.name(), "hit").inc();
            return LOADED;
        }
        return acquireCounted(s);
    }

    private synchronized CompletableFuture<Void> acquireCounted(Stored s) {
        s.inUse++;
        s.lastUsed = ++clock;
        boolean hit = s.state == State.LOADED;
        metrics.modelRequests.labelValues(s.name(), hit ? "hit" : "miss").inc();
        if (hit) {
            return LOADED;
        }
        if (s.state == State.UNLOADED) {
            s.state = State.LOADING;
            s.failure = null;
            s.loading = new CompletableFuture<>();
            if (!tryStart(s)) {
                waiting.add(s);
                CompletableFuture<Void> mine = s.loading;
                timer.schedule(() -> giveUpWaiting(s, mine), roomWaitMs, TimeUnit.MILLISECONDS);
            }
        }
        return s.loading;
    }

    void release(Stored s) {
        if (budget > 0) {
            releaseCounted(s);
        }
    }

    private synchronized void releaseCounted(Stored s) {
        s.inUse--;
        s.lastUsed = ++clock;
        if (s.inUse == 0 && !waiting.isEmpty()) {
            startWaiting();
        }
    }

    /** Starts the loads that wait for room, oldest first, as far as room can now be made. Holds the lock. */
    private void startWaiting() {
        for (Iterator<Stored> it = waiting.iterator(); it.hasNext(); ) {
            if (tryStart(it.next())) {
                it.remove();
            }
        }
    }

    private synchronized void giveUpWaiting(Stored s, CompletableFuture<Void> loading) {
        if (s.loading == loading && waiting.remove(s)) {
            s.state = State.UNLOADED;
            metrics.refused.labelValues(s.name(), "no_room").inc();
            loading.completeExceptionally(ServerError.unavailable("model " + s.name() + " is not in memory and MODEL_MEMORY_BUDGET ("
                    + MemoryBudget.mib(budget) + ") stayed held by models in use for " + roomWaitMs + " ms; try again shortly", 1));
        }
    }

    /**
     * Unloads the least recently used idle unpinned models until s fits, and starts loading s;
     * false (nothing unloaded) when they cannot make room. Unloading is done here, under the
     * store's lock, so that no request can reach a model half unloaded (it takes milliseconds).
     */
    private boolean tryStart(Stored s) {
        if (budget > 0) {
            List<Stored> candidates = byName.values().stream()
                    .filter(o -> o != s && o.state == State.LOADED && !o.source.pinned() && o.inUse == 0)
                    .sorted(Comparator.comparingLong(o -> o.lastUsed)).toList();
            List<Stored> evict = new ArrayList<>();
            long free = budget - used;
            for (Stored o : candidates) {
                if (free >= s.bytes) {
                    break;
                }
                evict.add(o);
                free += o.bytes;
            }
            if (free < s.bytes) {
                return false;
            }
            evict.forEach(this::unload);
        }
        used += s.bytes;
        loads.execute(() -> load(s));
        return true;
    }

    /** On a load thread: loads s (once, or once per copy) and attaches its copies. */
    private void load(Stored s) {
        long start = System.nanoTime();
        List<ServedModel> made = new ArrayList<>();
        try {
            for (ModelCopy copy : s.copies) {
                if (made.isEmpty() || !loader.sharedWeights()) {
                    made.add(loader.load(s.source, copy.index));
                }
                copy.attach(made.get(made.size() - 1), runnersPerCopy);
            }
        } catch (Throwable e) {
            s.copies.forEach(ModelCopy::detach);
            made.forEach(ServedModel::close);
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            ModelServer.log("level=error event=load_failed model=%s error=\"%s\"", s.name(), why.replace("\"", "'"));
            synchronized (this) {
                s.state = State.UNLOADED;
                s.failure = why;
                used -= s.bytes;
                startWaiting();
            }
            s.loading.completeExceptionally(new ServerError(500, "model " + s.name() + " failed to load: " + why));
            trimSoon();
            return;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        synchronized (this) {
            s.loaded.addAll(made);
            s.loadSeconds = seconds;
            s.state = State.LOADED;
        }
        metrics.modelLoads.labelValues(s.name()).inc();
        metrics.modelLoadDuration.labelValues(s.name()).observe(seconds);
        s.copies.forEach(c -> metrics.loadSeconds.labelValues(c.name).set(seconds));
        ModelServer.log("level=info event=model_loaded model=%s copies=%d seconds=%.2f shared=%s bytes=%d batches=\"%s\"", s.name(),
                s.copies.size(), seconds, loader.sharedWeights(), s.bytes, made.get(0).shapeNote());
        s.loading.complete(null);
        trimSoon();
    }

    /**
     * After a load or an unload: gives the native memory it freed back to the OS (see
     * {@link NativeHeap}), a second later and once for every load and unload of that second, on the
     * timer thread: a trim locks each malloc arena in turn, so it must not run under the store's lock
     * nor after every one of a burst of loads.
     */
    private void trimSoon() {
        if (NativeHeap.canTrim() && trimPending.compareAndSet(false, true)) {
            try {
                timer.schedule(() -> {
                    trimPending.set(false);
                    NativeHeap.trim();
                }, 1, TimeUnit.SECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                trimPending.set(false); // shutting down: the process gives everything back
            }
        }
    }

    /** Holds the lock (see tryStart). */
    private void unload(Stored o) {
        o.state = State.UNLOADED;
        used -= o.bytes;
        o.copies.forEach(ModelCopy::detach);
        o.loaded.forEach(ServedModel::close);
        o.loaded.clear();
        metrics.modelEvictions.labelValues(o.name()).inc();
        ModelServer.log("level=info event=model_unloaded model=%s bytes=%d", o.name(), o.bytes);
        trimSoon();
    }

    synchronized State state(Stored s) {
        return s.state;
    }

    synchronized String failure(Stored s) {
        return s.failure;
    }

    synchronized double loadSeconds(Stored s) {
        return s.loadSeconds;
    }

    /** Copies whose model is in memory. */
    synchronized int loadedCopies() {
        return byName.values().stream().filter(s -> s.state == State.LOADED).mapToInt(s -> s.copies.size()).sum();
    }

    synchronized long usedBytes() {
        return used;
    }

    /** At shutdown: every model out of memory. */
    synchronized void closeAll() {
        loads.shutdownNow();
        timer.shutdownNow();
        for (Stored s : byName.values()) {
            s.state = State.UNLOADED;
            s.copies.forEach(ModelCopy::detach);
            s.loaded.forEach(ServedModel::close);
            s.loaded.clear();
        }
    }
}
