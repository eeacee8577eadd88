package server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The server's settings, from its environment only (lib/runtime/ServerEnv.env writes them), so the same
 * server runs unchanged as a process, a container or a pod. NUM_MODELS, POSTPROCESS and QUIET
 * are the original's; the rest are this project's.
 */
record ServerSettings(Listen listen, Models models, Batching batching, Drain drain, Place place, boolean postprocess, boolean quiet) {

    /**
     * Where HTTP listens: PORT and BIND_ADDRESS, PROBE_PORT (-1: none), the largest request body,
     * the main port's open connections past which predictions are refused (0: no bound).
     */
    record Listen(String bindAddress, int port, int probePort, long maxRequestBytes, int maxConnections) {
    }

    /**
     * What is served: MODEL_DIR (named MODEL_NAME, else as its metadata says) with NUM_MODELS
     * copies first, then the distinct models MODELS adds; how they load and run.
     */
    record Models(Path modelDir, int numModels, List<ModelFolder> folders, long memoryBudget, String processor,
                  int predictorsPerModel, int sequenceBucket, String neuronLibraryPath) {
    }

    /**
     * How requests wait and group: up to maxBatchSize per forward, waiting at most maxBatchDelayMs
     * after the oldest; at most maxQueue waiting per model copy; requestTimeoutMs (0 = none) the
     * longest a request may wait for its answer.
     */
    record Batching(int maxBatchSize, int maxBatchDelayMs, int maxQueue, int requestTimeoutMs) {
        /** How long a load may wait for models in use to make room: the request deadline, else 30 s. */
        long roomWaitMs() {
            return requestTimeoutMs > 0 ? requestTimeoutMs : 30_000;
        }
    }

    /** SIGTERM: DRAIN_DELAY seconds still serving, then DRAIN_SECONDS for what is queued and running. */
    record Drain(int delaySeconds, int seconds) {
    }

    /**
     * This server's place among the servers of a store's catalog: SERVER_INDEX (0-based, as deploy
     * numbers them) of NUM_SERVERS, each model preferring MODEL_REPLICAS of them. All three or none
     * (null: no catalog, nothing is placed).
     */
    record Place(int index, int servers, int replicas) {
        /** "preferred" when this server is one of the model's preferred servers (lib/store/Placement, as the load clients route), else "foreign". */
        String of(String model) {
            return lib.store.Placement.prefers(model, index, servers, replicas) ? "preferred" : "foreign";
        }
    }

    /** A setting that cannot be used; main prints it as one line and exits with 2. */
    static final class BadSetting extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadSetting(String message) {
            super(message);
        }
    }

    static ServerSettings fromEnv(Map<String, String> env) {
        String dir = env.get("MODEL_DIR");
        if (dir == null || dir.isBlank()) {
            throw new BadSetting("MODEL_DIR is not set: it names the traced model folder (trace-<model>/)");
        }
        Path modelDir = Path.of(dir);
        if (!Files.isDirectory(modelDir)) {
            throw new BadSetting("MODEL_DIR=" + dir + " is not a folder");
        }
        int numModels = integer(env, "NUM_MODELS", 1, 1, 1024);
        long budget = MemoryBudget.parse(env.get("MODEL_MEMORY_BUDGET"));
        List<ModelFolder> folders = ModelFolder.of(primaryName(env, modelDir), modelDir, numModels, env.get("MODELS"),
                env.get("PINNED_MODELS"), budget > 0);
        return new ServerSettings(
                new Listen(env.getOrDefault("BIND_ADDRESS", "0.0.0.0"), integer(env, "PORT", 8080, 0, 65535),
                        integer(env, "PROBE_PORT", -1, -1, 65535), integer(env, "MAX_REQUEST_BYTES", 1 << 20, 1024, Integer.MAX_VALUE),
                        integer(env, "MAX_CONNECTIONS", 1024, 0, 1_000_000)),
                new Models(modelDir, numModels, folders, budget, env.getOrDefault("PROCESSOR", ""),
                        integer(env, "PREDICTORS_PER_MODEL", 0, 0, 1024), integer(env, "SEQUENCE_BUCKET", 16, 0, 4096),
                        env.getOrDefault("NEURON_LIBRARY_PATH", "")),
                new Batching(
                        integer(env, "MAX_BATCH_SIZE", 4, 1, 1024),
                        integer(env, "MAX_BATCH_DELAY_MS", 0, 0, 10_000),
                        integer(env, "MAX_QUEUE", 32, 1, 1_000_000),
                        integer(env, "REQUEST_TIMEOUT_MS", 0, 0, 3_600_000)),
                new Drain(integer(env, "DRAIN_DELAY", 5, 0, 3600), integer(env, "DRAIN_SECONDS", 20, 0, 3600)),
                place(env),
                bool(env, "POSTPROCESS", true),
                bool(env, "QUIET", false));
    }

    /** SERVER_INDEX, NUM_SERVERS and MODEL_REPLICAS, or null when none is set. */
    private static Place place(Map<String, String> env) {
        List<String> keys = List.of("SERVER_INDEX", "NUM_SERVERS", "MODEL_REPLICAS");
        long set = keys.stream().filter(k -> env.get(k) != null && !env.get(k).isBlank()).count();
        if (set == 0) {
            return null;
        }
        if (set < keys.size()) {
            throw new BadSetting("SERVER_INDEX, NUM_SERVERS and MODEL_REPLICAS place a catalog's models: set all three or none");
        }
        int servers = required(env, "NUM_SERVERS", 1, 100_000);
        return new Place(required(env, "SERVER_INDEX", 0, servers - 1), servers, required(env, "MODEL_REPLICAS", 1, 100_000));
    }

    /** A variable whose presence is checked already (no default: docs/server.md has no row for it), in [min, max]. */
    private static int required(Map<String, String> env, String key, int min, int max) {
        return integer(env, key, min, min, max);
    }

    /** MODEL_NAME, or the name the trace folder's metadata.json gives its model. */
    private static String primaryName(Map<String, String> env, Path modelDir) {
        String name = env.get("MODEL_NAME");
        if (name != null && !name.isBlank()) {
            return name.strip();
        }
        try {
            return String.valueOf(lib.model.ModelSpec.metadata(modelDir).getOrDefault("model", "default"));
        } catch (lib.model.ModelException e) {
            return "default";
        }
    }

    /** Endpoints model<i> of every model, numbered across them in order. */
    int totalCopies() {
        return models.folders().stream().mapToInt(ModelFolder::copies).sum();
    }

    private static int integer(Map<String, String> env, String key, int fallback, int min, int max) {
        String value = env.get(key);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            int v = Integer.parseInt(value.trim());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BadSetting(key + "=" + value + " must be a whole number from " + min + " to " + max);
    }

    /** True/False as the original read them (it accepted true/1 and false/0 too). */
    private static boolean bool(Map<String, String> env, String key, boolean fallback) {
        String value = env.get(key);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new BadSetting(key + "=" + value + " must be True or False");
        };
    }

    /**
     * Predictors (runners) per model copy: as many as keep the cores busy when all copies are used
     * at once. They are cheap (the copies share the weights); what they cap is how many forwards of
     * one copy may run at once.
     */
    int predictors(int cores) {
        return models.predictorsPerModel() > 0 ? models.predictorsPerModel() : Math.max(1, cores / totalCopies());
    }

    /** Worker threads: the forwards that may run at once, never more than the cores. */
    int workers(int cores) {
        return Math.max(1, Math.min(cores, predictors(cores) * totalCopies()));
    }

    /** PyTorch intra-op threads per forward: the cores divided among the workers. */
    int intraOpThreads(int cores) {
        return Math.max(1, cores / workers(cores));
    }
}
