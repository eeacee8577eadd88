package lib.runtime;

//SOURCES ../config/ByteSize.java ../config/Config.java

import lib.config.ByteSize;
import lib.config.Config;

/** How much memory a model server asks for and may use, from its model's size and config. */
public final class ServerMemory {
    private ServerMemory() {
    }

    /** What a server needs besides its weights: JVM, libtorch, tokenizer, buffers (measured: docs/benchmarks.md). */
    static final long BASE_MEMORY_MIB = 512;

    /**
     * A server container's memory request and limit, in MiB, for a model file of modelBytes: the
     * copies share one set of weights (inf1/inf2: one per copy), plus the base; the limit leaves
     * half as much again for batches and the JIT's specialised graphs.
     */
    public static long[] mib(Config config, long modelBytes) {
        return mib(config, modelBytes, 0);
    }

    /**
     * As above for a server that also holds extra models of extraBytes in all; with an absolute
     * model_memory_budget the weights count for at most the budget (the rest waits on disk).
     */
    public static long[] mib(Config config, long modelBytes, long extraBytes) {
        long sets = config.processor().startsWith("inf") ? config.getInt("num_models") : 1;
        long bytes = modelBytes * sets + extraBytes;
        long budget = ByteSize.parse(config.get("model_memory_budget"));
        if (budget > 0) {
            bytes = Math.min(bytes, budget);
        }
        long weights = (bytes + (1 << 20) - 1) >> 20;
        long request = roundUp(BASE_MEMORY_MIB + weights, 64);
        return new long[] {request, roundUp(request * 3 / 2, 64)};
    }

    private static long roundUp(long v, long step) {
        return (v + step - 1) / step * step;
    }
}
