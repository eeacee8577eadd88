package server;

import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the probes and operators ask, on either port, never touching the inference path:
 * liveness, readiness (/health/ready, /ping), the copies (/models) and the metrics.
 */
final class ServerStatus {
    private final Lifecycle lifecycle;
    private final ModelStore store;
    private final ServerMetrics metrics;
    private final ServerSettings settings;
    private final String processor;
    private final boolean sharedWeights;
    /** The model store the models come from; null when they are in the image. */
    private final StoreModels storeModels;

    ServerStatus(Lifecycle lifecycle, ModelStore store, ServerMetrics metrics, ServerSettings settings, String processor,
                 boolean sharedWeights, StoreModels storeModels) {
        this.lifecycle = lifecycle;
        this.store = store;
        this.metrics = metrics;
        this.settings = settings;
        this.processor = processor;
        this.sharedWeights = sharedWeights;
        this.storeModels = storeModels;
    }

    void live(Context ctx) {
        json(ctx, 200, Map.of("status", "alive"));
    }

    void ready(Context ctx) {
        Map<String, Object> body = new LinkedHashMap<>();
        Lifecycle.State state = lifecycle.state();
        body.put("status", state.name().toLowerCase(Locale.ROOT));
        body.put("models", settings.totalCopies());
        body.put("ready", store.loadedCopies());
        if (lifecycle.failure() == null && storeModels != null && storeModels.waiting() != null) {
            body.put("detail", storeModels.waiting());
        }
        if (lifecycle.failure() != null) {
            body.put("detail", lifecycle.failure());
        }
        json(ctx, state == Lifecycle.State.READY ? 200 : 503, body);
    }

    /** Every copy (model<i>) with the distinct model it serves and whether that model is in memory. */
    void models(Context ctx) {
        List<Map<String, Object>> list = new ArrayList<>();
        Lifecycle.State server = lifecycle.state();
        for (ModelCopy copy : store.copies()) {
            DistinctModel distinct = copy.distinct;
            DistinctModel.State state = store.state(distinct);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", copy.name);
            m.put("name", distinct.name());
            m.put("status", switch (state) {
                case LOADED -> "ready";
                case LOADING -> "loading";
                case UNLOADED -> server == Lifecycle.State.FAILED || distinct.failedAlone ? "failed"
                        : distinct.folder.pinned() || server == Lifecycle.State.LOADING ? "loading" : "unloaded";
            });
            m.put("pinned", distinct.folder.pinned());
            m.put("processor", processor);
            m.put("sequence_length", distinct.metadata.get("sequence_length"));
            m.put("model", distinct.metadata.get("model"));
            m.put("bytes", distinct.bytes);
            if (storeModels != null) {
                m.putAll(storeModels.info(distinct.name()));
            }
            m.put("predictors", settings.predictors(Runtime.getRuntime().availableProcessors()));
            ServedModel model = copy.model();
            if (state == DistinctModel.State.LOADED && model != null) {
                m.put("load_seconds", Math.round(store.loadSeconds(distinct) * 1000) / 1000.0);
                m.put("shared_weights", sharedWeights);
                m.put("batches", model.shapeNote());
                m.put("queued", copy.queue.size());
            }
            if (store.failure(distinct) != null) {
                m.put("detail", store.failure(distinct));
            }
            list.add(m);
        }
        json(ctx, 200, Map.of("models", list));
    }

    void metrics(Context ctx) {
        for (ModelCopy copy : store.copies()) {
            metrics.queueDepth.labelValues(copy.name).set(copy.queue.size());
        }
        metrics.modelMemory.set(store.usedBytes());
        if (storeModels != null) {
            for (String name : storeModels.names()) {
                lib.store.ModelPuller.Stats s = storeModels.stats(name);
                metrics.storeDownloads.labelValues(name).set(s.downloads());
                metrics.storeDownloadBytes.labelValues(name).set(s.bytes());
                metrics.storeDownloadSeconds.labelValues(name).set(s.millis() / 1000.0);
                metrics.storeCacheHits.labelValues(name).set(s.cacheHits());
            }
        }
        metrics.modelsReady.set(store.loadedCopies());
        ctx.contentType(ServerMetrics.contentType()).result(metrics.scrape());
    }

    /** Compact JSON like the original's FastAPI responses. */
    static void json(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json").result(ErrorTable.JSON.writeValueAsBytes(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
