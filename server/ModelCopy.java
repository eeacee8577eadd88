package server;

import lib.model.PredictorPool;

/**
 * One model copy: its endpoint name (model<i>), the distinct model it serves, its queue, and its
 * runners (predictors, in a {@link PredictorPool}) while that model is in memory. At most one
 * worker uses a runner at a time, so the number of runners caps how many forwards of this copy run
 * at once.
 */
final class ModelCopy {
    private static final PredictorPool<ServedModel.Runner> NONE = new PredictorPool<>(0, () -> null);

    final int index;
    final String name;
    final DistinctModel distinct;
    final ModelQueue queue;
    private volatile ServedModel model;
    private volatile PredictorPool<ServedModel.Runner> runners = NONE;

    ModelCopy(int index, DistinctModel distinct, int maxQueue) {
        this.index = index;
        this.name = "model" + index;
        this.distinct = distinct;
        this.queue = new ModelQueue(maxQueue);
    }

    /** The model in memory; null while it is not loaded (nothing is queued then). */
    ServedModel model() {
        return model;
    }

    /** Gives the copy its model and runners once loaded. */
    synchronized void attach(ServedModel loaded, int count) {
        model = loaded;
        runners = new PredictorPool<>(count, loaded::newRunner);
    }

    /** Takes the model away on eviction or shutdown: closes the runners. */
    synchronized void detach() {
        model = null;
        PredictorPool<ServedModel.Runner> old = runners;
        runners = NONE;
        old.close();
    }

    /** How many forwards of this copy may run at once (0 while its model is not in memory). */
    int runnerCount() {
        return runners.size();
    }

    /** A free runner, or null when every one is busy (its worker requeues the copy when done). */
    ServedModel.Runner lease() {
        return runners.poll();
    }

    /** Gives a leased runner back; one leased before a detach is dropped. */
    void release(ServedModel.Runner runner) {
        runners.release(runner);
    }
}
