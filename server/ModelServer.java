///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//JAVAC_OPTIONS --release 21
//DEPS io.javalin:javalin:7.2.3
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.4
//DEPS software.amazon.awssdk:s3:2.57.8
//DEPS io.prometheus:prometheus-metrics-core:1.10.0
//DEPS io.prometheus:prometheus-metrics-exposition-textformats:1.10.0
//DEPS org.slf4j:slf4j-simple:2.0.17
//DEPS net.java.dev.jna:jna:5.17.0
//DEPS ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64
//SOURCES HttpApi.java OriginalApi.java OpenInferenceApi.java ServerStatus.java ErrorTable.java Predictions.java Lifecycle.java
//SOURCES ModelStore.java DistinctModel.java ModelCopy.java ModelQueue.java InferenceJob.java WorkerPool.java ServedModel.java
//SOURCES ModelLoader.java DjlLoader.java ModelFolder.java MemoryBudget.java ClosedPeers.java MainConnections.java NativeHeap.java
//SOURCES ServerSettings.java ServerMetrics.java ServerError.java Log.java Refusals.java RefusalPacing.java StoreModels.java ../lib/store/ModelStores.java ../lib/store/Placement.java
//SOURCES ../lib/model/ModelSpec.java ../lib/model/TorchEngine.java ../lib/model/Answer.java ../lib/model/ModelException.java ../lib/model/LoadedModel.java
//SOURCES ../lib/model/QaBatch.java ../lib/model/QaCodec.java ../lib/config/ByteSize.java ../lib/model/ModelEntries.java ../lib/model/PredictorPool.java
package server;

import java.util.Map;
import lib.model.ModelException;
import lib.model.ModelSpec;
import lib.model.TorchEngine;

/**
 * The model server: NUM_MODELS copies of the traced model in one JVM (and copies of the distinct
 * models MODELS adds), served over HTTP with the original's API, the Open Inference Protocol,
 * health, /models and /metrics. This class only wires the parts together and runs main: HTTP
 * ({@link HttpApi}) hands each prediction to {@link Predictions}, which queues it on its copy
 * ({@link ModelQueue}) for the shared {@link WorkerPool}; {@link ModelStore} keeps the models in
 * memory and {@link Lifecycle} loads them in the background and drains on SIGTERM.
 */
public final class ModelServer {
    private final ServerSettings settings;
    private final ModelStore store;
    private final Lifecycle lifecycle;
    private final ServerMetrics metrics;
    private final String processor;
    private final boolean sharedWeights;
    /** Where the models come from when a model store is set (MODEL_STORE), else null. */
    private StoreModels storeModels;
    private WorkerPool pool;
    private HttpApi http;

    /** Throws BadSetting when a model can never fit MODEL_MEMORY_BUDGET. metadata: MODEL_DIR's metadata.json. */
    ModelServer(ServerSettings settings, ModelLoader loader, Map<String, Object> metadata) {
        this.settings = settings;
        this.metrics = new ServerMetrics(() -> lifecycle().inFlight());
        this.store = new ModelStore(settings.models().folders(), loader, settings.models().memoryBudget(), settings.predictors(cores()),
                settings.batching().maxQueue(), settings.batching().roomWaitMs(), metrics);
        this.lifecycle = new Lifecycle(store, settings, metrics);
        this.processor = settings.models().processor().isEmpty() ? String.valueOf(metadata.getOrDefault("processor", "cpu"))
                : settings.models().processor();
        this.sharedWeights = loader.sharedWeights();
    }

    public static void main(String... args) {
        TorchEngine.quietWarnings();
        ModelServer server;
        try {
            Map<String, String> env = System.getenv();
            // with a model store the models are pulled into the cache before they load (StoreModels)
            StoreModels pulled = StoreModels.fromEnv(env).orElse(null);
            if (pulled != null) {
                env = pulled.serverEnv(env);
            }
            ServerSettings settings = ServerSettings.fromEnv(env);
            if (pulled == null) {
                server = new ModelServer(settings, loader(settings), ModelSpec.metadata(settings.models().modelDir()));
            } else {
                server = new ModelServer(settings, pulled.wrap(loader(settings)), Map.of());
                server.storeModels = pulled;
            }
            server.start();
        } catch (ServerSettings.BadSetting | ModelException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        // SIGTERM/SIGINT run shutdown hooks while request threads keep going: drain there, then exit 0
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.drain();
            Runtime.getRuntime().halt(0);
        }, "drain"));
        if (!server.awaitLoaded()) {
            Runtime.getRuntime().halt(1);
        }
    }

    /** The DJL models of the trace folders. */
    static ModelLoader loader(ServerSettings settings) {
        return DjlLoader.of(settings);
    }

    /** Starts HTTP and the workers at once, then loads the models in the background. */
    ModelServer start() {
        ServerSettings.Batching b = settings.batching();
        pool = new WorkerPool(settings.workers(cores()), b.maxBatchSize(), b.maxBatchDelayMs(), settings.postprocess(), metrics);
        MainConnections connections = new MainConnections();
        Predictions predictions = new Predictions(store, pool, lifecycle, metrics, b, connections, settings.place());
        ClosedPeers closedPeers = new ClosedPeers();
        http = new HttpApi(settings, metrics, connections,
                new ServerStatus(lifecycle, store, metrics, settings, processor, sharedWeights, storeModels),
                new OriginalApi(predictions, closedPeers),
                new OpenInferenceApi(predictions, closedPeers, lifecycle, store),
                new ErrorTable(metrics, b.requestTimeoutMs(), settings.listen().maxRequestBytes()));
        try {
            http.start();
        } catch (ServerSettings.BadSetting e) {
            pool.stop();
            throw e;
        }
        Log.line("level=info event=listening address=%s port=%d probe_port=%d models=%d copies=%d processor=%s workers=%d "
                + "max_batch_size=%d max_batch_delay_ms=%d max_queue=%d memory_budget=%d", settings.listen().bindAddress(), http.port(),
                http.probePort(), settings.models().folders().size(), settings.totalCopies(), processor, pool.workers(),
                b.maxBatchSize(), b.maxBatchDelayMs(), b.maxQueue(), settings.models().memoryBudget());
        metrics.refusals.start();
        lifecycle.startLoading();
        return this;
    }

    /** Waits until the pinned models are loaded; false when loading failed. */
    boolean awaitLoaded() {
        return lifecycle.awaitLoaded();
    }

    /** SIGTERM's drain (see {@link Lifecycle#drain}), then HTTP and the workers stop. */
    void drain() {
        lifecycle.drain(() -> {
            http.stop();
            pool.stop();
            metrics.refusals.stop();
        });
    }

    int port() {
        return http.port();
    }

    int probePort() {
        return http.probePort();
    }

    Lifecycle.State state() {
        return lifecycle.state();
    }

    ModelStore store() {
        return store;
    }

    private Lifecycle lifecycle() {
        return lifecycle;
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }
}
