package lib.runtime;

//SOURCES ../config/ByteSize.java ../config/Config.java ../image/ModelSet.java

import java.util.LinkedHashMap;
import java.util.Map;
import lib.config.ByteSize;
import lib.config.Config;
import lib.image.ModelSet;

/**
 * What every runtime hands a model server: the original's environment (NUM_MODELS, POSTPROCESS,
 * QUIET) and this project's additions. A runtime never lets the server read config.properties,
 * so the same server runs unchanged as a process, a container or a pod.
 */
public final class Servers {
    /** Port the server listens on inside a container or pod (the original's 8080). */
    public static final int CONTAINER_PORT = 8080;
    /** Port of the server's probe connector in a pod: health, readiness and metrics on threads of their own. */
    public static final int CONTAINER_PROBE_PORT = 8081;
    /** Where images hold the traced model folder. */
    public static final String IMAGE_MODEL_DIR = "/app/model";
    /** Seconds a server finishes queued and running requests after its drain delay; pods get a little more. */
    public static final int DRAIN_SECONDS = 20;

    /** Readiness, liveness and the original's health check, as the server serves them. */
    public static final String READY_PATH = "/health/ready";
    public static final String LIVE_PATH = "/health/live";

    private Servers() {
    }

    /**
     * Seconds from SIGTERM until a server has surely exited: the drain delay (still serving while
     * the endpoint goes), the drain (queued requests finish) and a margin. Pods get it as their
     * termination grace period; the local and docker runtimes wait as long.
     */
    public static int stopSeconds(Config config) {
        return config.getInt("drain_delay") + DRAIN_SECONDS + 10;
    }

    /** What a server needs besides its weights: JVM, libtorch, tokenizer, buffers (measured: docs/benchmarks.md). */
    static final long BASE_MEMORY_MIB = 512;

    /**
     * A server container's memory request and limit, in MiB, for a model file of modelBytes: the
     * copies share one set of weights (inf1/inf2: one per copy), plus the base; the limit leaves
     * half as much again for batches and the JIT's specialised graphs.
     */
    public static long[] memoryMib(Config config, long modelBytes) {
        return memoryMib(config, modelBytes, 0);
    }

    /**
     * As above for a server that also holds extra models of extraBytes in all; with an absolute
     * model_memory_budget the weights count for at most the budget (the rest waits on disk).
     */
    public static long[] memoryMib(Config config, long modelBytes, long extraBytes) {
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

    /**
     * The threading environment of every server (process, container, pod), and ENV of the
     * model-server image for one started by hand. Intra-op threads are not in it: the server
     * chooses them (cores / workers, 1 by default) and hands them to DJL (ai.djl.pytorch.num_threads),
     * which PyTorch applies to OpenMP and MKL on every thread that runs a forward, so an
     * OMP_NUM_THREADS or MKL_NUM_THREADS here could only contradict it. What DJL does not set is how
     * idle OpenMP threads wait: by default they spin, which on 2 shared cores took a forward of 2
     * intra-op threads from 46 to 244 ms of CPU time (docs/benchmarks.md); PASSIVE lets them sleep.
     * MALLOC_ARENA_MAX is set high enough for a malloc arena per thread. glibc's own cap (8 per
     * core) is below a server's thread count on small nodes, and past the cap it hands out arenas
     * round robin: two threads running forwards could then share one and wait on its lock at every
     * allocation: the bundled model at 2 connections then served 560 requests/s instead of about
     * 1,000. With the earlier cap of 4 this happened in 2 of about 40 server starts on 2 cores,
     * and it cannot be avoided once a node has more cores than arenas. The server gives back the
     * pages that loads and unloads free, which arenas would otherwise keep, with malloc_trim
     * (server/NativeHeap.java).
     */
    public static final Map<String, String> THREAD_ENV = java.util.Collections.unmodifiableMap(
            new java.util.TreeMap<>(Map.of("OMP_WAIT_POLICY", "PASSIVE", "MALLOC_ARENA_MAX", "1024"))); // sorted: manifests stay stable

    /** The server's environment; port and model folder depend on where it runs. */
    public static Map<String, String> env(Config config, int port, String modelDir) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("NUM_MODELS", config.get("num_models"));
        env.put("POSTPROCESS", config.getBool("postprocess") ? "True" : "False");
        env.put("QUIET", config.getBool("quiet") ? "True" : "False");
        env.put("PORT", Integer.toString(port));
        env.put("MODEL_DIR", modelDir);
        env.put("PROCESSOR", config.processor());
        env.put("PREDICTORS_PER_MODEL", config.get("predictors_per_model"));
        env.put("DRAIN_SECONDS", Integer.toString(DRAIN_SECONDS));
        env.put("DRAIN_DELAY", config.get("drain_delay"));
        env.put("MAX_BATCH_SIZE", config.get("max_batch_size"));
        env.put("MAX_BATCH_DELAY_MS", config.get("max_batch_delay_ms"));
        env.put("MAX_QUEUE", config.get("max_queue"));
        env.put("MAX_REQUEST_BYTES", config.get("max_request_bytes"));
        env.put("REQUEST_TIMEOUT_MS", config.get("request_timeout_ms"));
        env.put("SEQUENCE_BUCKET", config.get("sequence_bucket"));
        if (config.processor().startsWith("inf")) {
            env.put("NEURON_LIBRARY_PATH", config.get("neuron_library_path"));
        }
        String extras = ModelSet.serverEntries(config, modelDir);
        if (!extras.isEmpty()) {
            env.put("MODELS", extras);
        }
        if (!ModelSet.budget(config).isEmpty()) {
            env.put("MODEL_MEMORY_BUDGET", ModelSet.budget(config));
        }
        if (!config.get("pinned_models").isBlank()) {
            env.put("PINNED_MODELS", config.get("pinned_models"));
        }
        env.putAll(THREAD_ENV);
        return env;
    }
}
