package lib.runtime;

//SOURCES ../config/Config.java ../image/ModelSet.java

import java.util.LinkedHashMap;
import java.util.Map;
import lib.config.Config;
import lib.image.ModelSet;

/**
 * What every runtime hands a model server: the original's environment (NUM_MODELS, POSTPROCESS,
 * QUIET) and this project's additions. A runtime never lets the server read config.properties,
 * so the same server runs unchanged as a process, a container or a pod.
 */
public final class ServerEnv {
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

    private ServerEnv() {
    }

    /**
     * Seconds from SIGTERM until a server has surely exited: the drain delay (still serving while
     * the endpoint goes), the drain (queued requests finish) and a margin. Pods get it as their
     * termination grace period; the local and docker runtimes wait as long.
     */
    public static int stopSeconds(Config config) {
        return config.getInt("drain_delay") + DRAIN_SECONDS + 10;
    }

    /**
     * The threading environment of every server (process, container, pod), and ENV of the
     * model-server image for one started by hand. Intra-op threads are not in it: the server
     * chooses them and hands them to DJL, so an OMP_NUM_THREADS here could only contradict it.
     * OMP_WAIT_POLICY=PASSIVE lets idle OpenMP threads sleep instead of spinning on shared cores;
     * MALLOC_ARENA_MAX gives each thread a malloc arena of its own, so two forwards never wait on
     * one arena's lock (the server gives freed pages back itself, server/NativeHeap.java). The
     * measurements behind both: docs/benchmarks.md ("Threads: how idle OpenMP threads wait", "Malloc arenas").
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
