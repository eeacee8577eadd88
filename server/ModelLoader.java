package server;

import java.util.Map;

/** Loads a model (and warms it up): DJL's trace folders ({@link DjlLoader}), or a test's stand-in. */
interface ModelLoader {
    /** The model for copy i of the folder (when copies share weights, only for its first copy). */
    ServedModel load(ModelFolder folder, int copy) throws Exception;

    /** True when every copy of a model can share one loaded model (one set of weights in memory). */
    default boolean sharedWeights() {
        return true;
    }

    /** Bytes of weights the model holds in memory, as counted against MODEL_MEMORY_BUDGET. */
    default long bytes(ModelFolder folder) {
        return 0;
    }

    /** The model's metadata.json, for /models. */
    default Map<String, Object> metadata(ModelFolder folder) {
        return Map.of();
    }

    /**
     * The HTTP status of requests for a model whose load failed this way, when the failure is the
     * model's alone (the store lacks it: 404; refuses or holds it corrupt: 503) and the other
     * models serve on; 0 for a failure that fails the server (500 for requests).
     */
    default int failsAlone(Throwable e) {
        return 0;
    }
}
