package lib.runtime;

//SOURCES ../config/ByteSize.java ../config/Config.java ../image/ModelSet.java ../store/StoreCatalog.java ../store/StoreConfig.java

import java.util.LinkedHashMap;
import java.util.Map;
import lib.config.ByteSize;
import lib.store.StoreCatalog;
import lib.store.StoreConfig;
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

    /** Where a container keeps its pulled models (kubernetes: an emptyDir mounted there). */
    public static final String CONTAINER_CACHE_DIR = "/var/cache/models";

    /** What the store serves, read from its index once per command (a Config is one command's). */
    private static final Map<Config, StoreCatalog> CATALOGS = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /**
     * The models this deploy's servers serve from the store, pinned at their versions in the
     * index and placed over the servers; the servers and the load clients of one command share it.
     */
    public static StoreCatalog catalog(Config config) {
        return CATALOGS.computeIfAbsent(config, c -> StoreCatalog.read(c, ModelSet.catalog(c), ModelSet.names(c)));
    }

    /**
     * With model_store set: the store, its endpoint, the disk cache, and STORE_MODELS, each model
     * as name@version (read from the index once: a later push changes no server until the next
     * deploy), extra_models with their copies as name@version*copies, then every model of the
     * catalog extra_models selects (one copy each, loaded on demand under the budget). Credentials
     * are never in it: servers find them as the SDK does (environment, profile, the pod's identity).
     */
    static Map<String, String> storeEnv(Config config) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("MODEL_STORE", config.get("model_store"));
        if (!config.get("s3_endpoint").isBlank()) {
            env.put("S3_ENDPOINT", config.get("s3_endpoint"));
        }
        if (config.get("model_store").strip().startsWith("s3://")) {
            // the bucket's region (provision makes it in region): a pod need not ask the instance metadata
            env.put("AWS_REGION", config.get("region"));
        }
        String dir = config.get("model_cache_dir");
        env.put("MODEL_CACHE_DIR", dir.equals("auto") ? CONTAINER_CACHE_DIR : dir);
        env.put("MODEL_CACHE_SIZE", Long.toString(ByteSize.parse(config.get("model_cache_size"))));
        StoreCatalog catalog = catalog(config);
        java.util.List<ModelSet.Extra> extras = ModelSet.extras(config);
        java.util.List<String> out = new java.util.ArrayList<>(java.util.List.of(catalog.named().getFirst().pinned()));
        for (int i = 0; i < extras.size(); i++) {
            out.add(catalog.named().get(i + 1).pinned() + "*" + extras.get(i).copies());
        }
        catalog.catalog().forEach(e -> out.add(e.pinned()));
        env.put("STORE_MODELS", String.join(",", out));
        return env;
    }

    /**
     * With a catalog: the server's index, the number of servers and model_replicas, from which the
     * server tells the requests the load clients sent it by placement (preferred) from the others
     * (foreign) with the clients' own function (lib/store/Placement). Each server is started with
     * its index (kubernetes: one Deployment per server), so no server guesses it from a host name.
     */
    static Map<String, String> placementEnv(Config config, int index) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SERVER_INDEX", Integer.toString(index));
        env.put("NUM_SERVERS", config.get("num_servers"));
        env.put("MODEL_REPLICAS", config.get("model_replicas"));
        return env;
    }

    /**
     * A server's own cache folder on this machine, one per server (two servers in one folder would
     * evict each other's files): model_cache_dir/server, or autoRoot/server when model_cache_dir
     * is auto; empty without a store, or when it is auto and the server keeps its cache in its
     * container (autoRoot null).
     */
    public static java.util.Optional<java.nio.file.Path> hostCacheFolder(Config config, String server, java.nio.file.Path autoRoot) {
        String dir = config.get("model_cache_dir").strip();
        if (!StoreConfig.enabled(config) || dir.equals("auto") && autoRoot == null) {
            return java.util.Optional.empty();
        }
        java.nio.file.Path root = dir.equals("auto") ? autoRoot : java.nio.file.Path.of(dir);
        return java.util.Optional.of(root.toAbsolutePath().normalize().resolve(server));
    }

    /** The AWS SDK's own variables a local process or container takes from the caller: names only, values never written. */
    public static final java.util.List<String> AWS_ENV = java.util.List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION");

    /**
     * Server index's environment (0-based, as deploy numbers servers: local process, container and
     * the Deployment of each pod alike); port and model folder depend on where it runs.
     */
    public static Map<String, String> env(Config config, int index, int port, String modelDir) {
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
        if (StoreConfig.enabled(config)) {
            env.putAll(storeEnv(config));
            if (!ModelSet.catalog(config).isEmpty()) {
                env.putAll(placementEnv(config, index));
            }
        } else if (!extras.isEmpty()) {
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
