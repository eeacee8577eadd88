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
    /** A hit's acquire: in memory, no wait for a load. */
    private static final CompletableFuture<Boolean> HIT = CompletableFuture.completedFuture(false);

    private final ModelLoader loader;
    private final ServerMetrics metrics;
    private final long budget;
    private final int runnersPerCopy;
    private final Map<String, DistinctModel> byName = new LinkedHashMap<>();
    private final List<ModelCopy> copies = new ArrayList<>();
    private final ExecutorService loads = Executors.newCachedThreadPool(Thread.ofPlatform().name("model-load-", 0).daemon().factory());
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("model-room")
            .daemon().factory());
    /** Loads waiting for models in use to be released before they can make room, oldest first. */
    private final Deque<DistinctModel> waiting = new ArrayDeque<>();
    private final long roomWaitMs;
    private long used;
    private long clock;

    /** Checks that the models fit the budget (BadSetting when one never could) and numbers their copies. */
    ModelStore(List<ModelFolder> folders, ModelLoader loader, long budget, int runnersPerCopy, int maxQueue,
               long roomWaitMs, ServerMetrics metrics) {
        this.roomWaitMs = roomWaitMs;
        this.loader = loader;
        this.metrics = metrics;
        this.budget = budget;
        this.runnersPerCopy = runnersPerCopy;
        long pinnedBytes = 0;
        for (ModelFolder folder : folders) {
            DistinctModel s = new DistinctModel(folder, loader.bytes(folder), loader.metadata(folder));
            if (budget > 0 && s.bytes > budget) {
                throw new ServerSettings.BadSetting("model " + folder.name() + " needs " + MemoryBudget.mib(s.bytes)
                        + ", more than MODEL_MEMORY_BUDGET (" + MemoryBudget.mib(budget) + "): raise the budget or drop the model");
            }
            pinnedBytes += folder.pinned() ? s.bytes : 0;
            byName.put(folder.name(), s);
            for (int i = 0; i < folder.copies(); i++) {
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

    DistinctModel named(String name) {
        return byName.get(name);
    }

    List<DistinctModel> models() {
        return List.copyOf(byName.values());
    }

    /** Loads the pinned models one after the other; throws what failed. */
    void loadPinned(java.util.function.BooleanSupplier go) throws Exception {
        for (DistinctModel s : byName.values()) {
            if (s.folder.pinned() && go.getAsBoolean()) {
                try {
                    acquire(s).join();
                } catch (java.util.concurrent.CompletionException e) {
                    if (!s.failedAlone) {
                        throw e.getCause() instanceof Exception cause ? cause : e;
                    }
                    // this model is failed with its reason (see /models); the others load and serve
                } finally {
                    release(s);
                }
            }
        }
    }

    /**
     * Marks the model in use and completes once it is in memory: at once with false on a hit;
     * with true after its load on a miss (one load however many ask), so that the answer can say
     * it waited for a load (X-Model-Load: cold). A load that finds the budget held by models in use
     * waits for one of them to be released, for at most roomWaitMs (then 503). Every acquire is
     * paired with a {@link #release}; uses are counted only under a budget, the only case where a
     * model can be unloaded.
     */
    CompletableFuture<Boolean> acquire(DistinctModel s) {
        if (budget <= 0 && s.state == DistinctModel.State.LOADED) {
            // nothing is ever unloaded without a budget: no use to count, no lock on the request path
            metrics.modelRequests.labelValues(s.name(), "hit").inc();
            return HIT;
        }
        return acquireCounted(s);
    }

    private synchronized CompletableFuture<Boolean> acquireCounted(DistinctModel s) {
        s.inUse++;
        s.lastUsed = ++clock;
        boolean hit = s.state == DistinctModel.State.LOADED;
        metrics.modelRequests.labelValues(s.name(), hit ? "hit" : "miss").inc();
        if (hit) {
            return HIT;
        }
        if (s.state == DistinctModel.State.UNLOADED) {
            s.state = DistinctModel.State.LOADING;
            s.failure = null;
            s.loading = new CompletableFuture<>();
            if (!tryStart(s)) {
                waiting.add(s);
                CompletableFuture<Void> mine = s.loading;
                timer.schedule(() -> giveUpWaiting(s, mine), roomWaitMs, TimeUnit.MILLISECONDS);
            }
        }
        // decided here, under the lock: the load may be done before the caller looks at the future
        return s.loading.thenApply(loaded -> true);
    }

    void release(DistinctModel s) {
        if (budget > 0) {
            releaseCounted(s);
        }
    }

    private synchronized void releaseCounted(DistinctModel s) {
        s.inUse--;
        s.lastUsed = ++clock;
        if (s.inUse == 0 && !waiting.isEmpty()) {
            startWaiting();
        }
    }

    /** Starts the loads that wait for room, oldest first, as far as room can now be made. Holds the lock. */
    private void startWaiting() {
        for (Iterator<DistinctModel> it = waiting.iterator(); it.hasNext(); ) {
            if (tryStart(it.next())) {
                it.remove();
            }
        }
    }

    private synchronized void giveUpWaiting(DistinctModel s, CompletableFuture<Void> loading) {
        if (s.loading == loading && waiting.remove(s)) {
            s.state = DistinctModel.State.UNLOADED;
            metrics.refusals.count(s.name(), "no_room");
            loading.completeExceptionally(ServerError.unavailable("model " + s.name() + " is not in memory and MODEL_MEMORY_BUDGET ("
                    + MemoryBudget.mib(budget) + ") stayed held by models in use for " + roomWaitMs + " ms; try again shortly", 1));
        }
    }

    /**
     * Unloads the least recently used idle unpinned models until s fits, and starts loading s;
     * false (nothing unloaded) when they cannot make room. Unloading is done here, under the
     * store's lock, so that no request can reach a model half unloaded (it takes milliseconds).
     */
    private boolean tryStart(DistinctModel s) {
        if (budget > 0) {
            List<DistinctModel> candidates = byName.values().stream()
                    .filter(o -> o != s && o.state == DistinctModel.State.LOADED && !o.folder.pinned() && o.inUse == 0)
                    .sorted(Comparator.comparingLong(o -> o.lastUsed)).toList();
            List<DistinctModel> evict = new ArrayList<>();
            long free = budget - used;
            for (DistinctModel o : candidates) {
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
    private void load(DistinctModel s) {
        long start = System.nanoTime();
        List<ServedModel> made = new ArrayList<>();
        try {
            for (ModelCopy copy : s.copies) {
                if (made.isEmpty() || !loader.sharedWeights()) {
                    made.add(loader.load(s.folder, copy.index));
                }
                copy.attach(made.get(made.size() - 1), runnersPerCopy);
            }
        } catch (Throwable e) {
            s.copies.forEach(ModelCopy::detach);
            made.forEach(ServedModel::close);
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            Log.line("level=error event=load_failed model=%s error=\"%s\"", s.name(), Log.quoted(why));
            int status = loader.failsAlone(e);
            synchronized (this) {
                s.state = DistinctModel.State.UNLOADED;
                s.failure = why;
                s.failedAlone = status != 0;
                used -= s.bytes;
                startWaiting();
            }
            s.loading.completeExceptionally(new ServerError(status != 0 ? status : 500, "model " + s.name() + " failed to load: " + why));
            NativeHeap.trimSoon();
            return;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        synchronized (this) {
            s.loaded.addAll(made);
            s.loadSeconds = seconds;
            s.state = DistinctModel.State.LOADED;
        }
        metrics.modelLoads.labelValues(s.name()).inc();
        metrics.modelLoadDuration.labelValues(s.name()).observe(seconds);
        s.copies.forEach(c -> metrics.loadSeconds.labelValues(c.name).set(seconds));
        Log.line("level=info event=model_loaded model=%s copies=%d seconds=%.2f shared=%s bytes=%d batches=\"%s\"", s.name(),
                s.copies.size(), seconds, loader.sharedWeights(), s.bytes, made.get(0).shapeNote());
        s.loading.complete(null);
        NativeHeap.trimSoon();
    }

    /** Holds the lock (see tryStart). */
    private void unload(DistinctModel o) {
        o.state = DistinctModel.State.UNLOADED;
        used -= o.bytes;
        o.unloadCopies();
        metrics.modelEvictions.labelValues(o.name()).inc();
        Log.line("level=info event=model_unloaded model=%s bytes=%d", o.name(), o.bytes);
        NativeHeap.trimSoon();
    }

    synchronized DistinctModel.State state(DistinctModel s) {
        return s.state;
    }

    synchronized String failure(DistinctModel s) {
        return s.failure;
    }

    synchronized double loadSeconds(DistinctModel s) {
        return s.loadSeconds;
    }

    /** Copies whose model is in memory. */
    synchronized int loadedCopies() {
        return byName.values().stream().filter(s -> s.state == DistinctModel.State.LOADED).mapToInt(s -> s.copies.size()).sum();
    }

    synchronized long usedBytes() {
        return used;
    }

    /** At shutdown: every model out of memory. */
    synchronized void closeAll() {
        loads.shutdownNow();
        timer.shutdownNow();
        for (DistinctModel s : byName.values()) {
            s.state = DistinctModel.State.UNLOADED;
            s.unloadCopies();
        }
    }
}
