package server;

import java.util.ArrayDeque;
import java.util.List;

/**
 * One model copy: its endpoint name (model<i>), the distinct model it serves, its queue, and its
 * runners (predictors) while that model is in memory. At most one worker uses a runner at a time,
 * so the number of runners caps how many forwards of this copy run at once.
 */
final class ModelCopy {
    final int index;
    final String name;
    final DistinctModel distinct;
    final ModelQueue queue;
    private volatile ServedModel model;
    private List<ServedModel.Runner> runners = List.of();
    private final ArrayDeque<ServedModel.Runner> idle = new ArrayDeque<>();

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
        runners = java.util.stream.Stream.generate(loaded::newRunner).limit(count).toList();
        idle.clear();
        idle.addAll(runners);
        model = loaded;
    }

    /** Takes the model away on eviction or shutdown: closes the runners. */
    synchronized void detach() {
        model = null;
        runners.forEach(ServedModel.Runner::close);
        runners = List.of();
        idle.clear();
    }

    /** How many forwards of this copy may run at once (0 while its model is not in memory). */
    synchronized int runnerCount() {
        return runners.size();
    }

    /** A free runner, or null when every one is busy (its worker requeues the copy when done). */
    synchronized ServedModel.Runner lease() {
        return idle.pollFirst();
    }

    synchronized void release(ServedModel.Runner runner) {
        if (runners.contains(runner)) {
            idle.addFirst(runner);
        }
    }
}
