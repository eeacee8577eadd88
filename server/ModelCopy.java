package server;

import java.util.ArrayDeque;
import java.util.List;

/**
 * One model copy: its endpoint name (model<i>), its queue, and its runners (predictors) on the
 * model it shares with the other copies. At most one worker uses a runner at a time, so the number
 * of runners caps how many forwards of this copy run at once.
 */
final class ModelCopy {
    final int index;
    final String name;
    final ServedModel model;
    final ModelQueue queue;
    final double loadSeconds;
    private final List<ServedModel.Runner> runners;
    private final ArrayDeque<ServedModel.Runner> idle;

    ModelCopy(int index, ServedModel model, int runners, int maxQueue, double loadSeconds) {
        this.index = index;
        this.name = "model" + index;
        this.model = model;
        this.queue = new ModelQueue(maxQueue);
        this.loadSeconds = loadSeconds;
        this.runners = java.util.stream.Stream.generate(model::newRunner).limit(runners).toList();
        this.idle = new ArrayDeque<>(this.runners);
    }

    int runners() {
        return runners.size();
    }

    /** A free runner, or null when every one is busy (its worker requeues the copy when done). */
    synchronized ServedModel.Runner lease() {
        return idle.pollFirst();
    }

    synchronized void release(ServedModel.Runner runner) {
        idle.addFirst(runner);
    }

    void closeRunners() {
        runners.forEach(ServedModel.Runner::close);
    }
}
