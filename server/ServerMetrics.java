package server;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;

/** The server's Prometheus metrics, served in the text format at /metrics. */
final class ServerMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();

    final Counter requests = Counter.builder().name("jdo_requests_total")
            .help("Prediction requests by model and HTTP status").labelNames("model", "status").register(registry);
    final Counter errors = Counter.builder().name("jdo_errors_total")
            .help("Prediction requests that failed (status 4xx or 5xx) by model and status").labelNames("model", "status").register(registry);
    final Gauge queueDepth = Gauge.builder().name("jdo_queue_depth")
            .help("Requests queued for a forward, by model").labelNames("model").register(registry);
    final Counter refused = Counter.builder().name("jdo_refused_total")
            .help("Prediction requests refused or dropped without a forward, by model and reason "
                    + "(queue_full, deadline, timeout, not_ready, no_room, client_gone, connections)").labelNames("model", "reason").register(registry);
    /** Where refusals are counted (refused, by reason) and logged once per interval. */
    final Refusals refusals = new Refusals(refused, line -> Log.line("%s", line));
    final Histogram queueWait = Histogram.builder().name("jdo_queue_wait_seconds")
            .help("Time from a request being queued to its forward starting, by model")
            .labelNames("model").classicOnly()
            .classicUpperBounds(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5).register(registry);
    final Histogram batchSize = Histogram.builder().name("jdo_batch_size")
            .help("Requests per forward, by model").labelNames("model").classicOnly()
            .classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128).register(registry);
    final Histogram latency = Histogram.builder().name("jdo_request_duration_seconds")
            .help("Prediction latency in the server, tokenization and decoding included, by model")
            .labelNames("model").classicOnly()
            .classicUpperBounds(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10).register(registry);
    final Gauge loadSeconds = Gauge.builder().name("jdo_model_load_seconds")
            .help("Seconds it took to load and warm up each model copy").labelNames("model").register(registry);
    final Gauge modelsReady = Gauge.builder().name("jdo_models_ready")
            .help("Model copies loaded and warmed up").register(registry);
    final Counter modelLoads = Counter.builder().name("jdo_model_loads_total")
            .help("Loads of a distinct model into memory, by model name").labelNames("model").register(registry);
    final Counter modelEvictions = Counter.builder().name("jdo_model_evictions_total")
            .help("Unloads of a distinct model to make room under the memory budget, by model name").labelNames("model")
            .register(registry);
    final Histogram modelLoadDuration = Histogram.builder().name("jdo_model_load_duration_seconds")
            .help("Time to load and warm up a distinct model, by model name").labelNames("model").classicOnly()
            .classicUpperBounds(0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 60, 120).register(registry);
    final Counter modelRequests = Counter.builder().name("jdo_model_requests_total")
            .help("Requests by model name and whether the model was in memory (hit) or had to be loaded (miss)")
            .labelNames("model", "result").register(registry);
    /** Only with a catalog (SERVER_INDEX set): whether the load clients routed each request here by placement. */
    final Counter placement = Counter.builder().name("jdo_placement_requests_total")
            .help("Prediction requests by model name and whether this server is one of the model's preferred servers "
                    + "(preferred) or not (foreign); only with a store's catalog").labelNames("model", "placement").register(registry);
    final Gauge modelMemory = Gauge.builder().name("jdo_model_memory_bytes")
            .help("Bytes of model weights in memory (or being loaded), as counted against the budget").register(registry);
    // the model store (server/StoreModels): per model, what pulling it cost and how often the disk cache had it
    final Gauge storeDownloads = Gauge.builder().name("jdo_model_store_downloads")
            .help("Downloads of a model from the model store, by model").labelNames("model").register(registry);
    final Gauge storeDownloadBytes = Gauge.builder().name("jdo_model_store_download_bytes")
            .help("Bytes downloaded from the model store, by model").labelNames("model").register(registry);
    final Gauge storeDownloadSeconds = Gauge.builder().name("jdo_model_store_download_seconds")
            .help("Seconds spent downloading and verifying a model from the store, by model").labelNames("model").register(registry);
    final Gauge storeCacheHits = Gauge.builder().name("jdo_model_store_cache_hits")
            .help("Pulls of a model the disk cache already held, by model").labelNames("model").register(registry);
    final Gauge memoryBudget = Gauge.builder().name("jdo_model_memory_budget_bytes")
            .help("MODEL_MEMORY_BUDGET in bytes; 0 when there is none").register(registry);

    private static final String IN_FLIGHT = "jdo_requests_in_flight";
    private final Gauge inFlight = Gauge.builder().name(IN_FLIGHT).help("Prediction requests being served now")
            .register(registry);
    private final IntSupplier inFlightNow;

    /** @param inFlightNow the predictions accepted and not yet answered */
    ServerMetrics(IntSupplier inFlightNow) {
        this.inFlightNow = inFlightNow;
    }

    String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            // in flight is read after the request counters, so that in flight + done never counts a
            // request twice (one that finishes mid-scrape is missed by both instead); the registry
            // itself collects in no fixed order
            MetricSnapshots.Builder all = MetricSnapshots.builder();
            registry.scrape(name -> !name.equals(IN_FLIGHT)).forEach(all::metricSnapshot);
            inFlight.set(inFlightNow.getAsInt());
            registry.scrape(IN_FLIGHT::equals).forEach(all::metricSnapshot);
            PrometheusTextFormatWriter.create().write(out, all.build());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }
}
