package server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import lib.store.ModelCache;
import lib.store.ModelPuller;
import lib.store.ModelStores;
import lib.store.StoreException;
import lib.store.StoreNames;

/**
 * Models from a model store (MODEL_STORE; docs/model-store.md) instead of the image: the server is
 * handed each model as name@version (STORE_MODELS, pinned by deploy) and serves it from the disk
 * cache (MODEL_CACHE_DIR, at most MODEL_CACHE_SIZE bytes). The loader asks this class for a
 * model's folder before it loads it: a pinned model is pulled at start, retried with backoff while
 * the store cannot be reached (readiness says why); any other on its first request, one download
 * however many requests wait. A model the store lacks, refuses or holds corrupt fails alone.
 */
final class StoreModels {
    private static final long MAX_BACKOFF_MS = 30_000;
    /** A model whose pull failed stays failed with its reason this long before a request asks the store again, doubling to the last. */
    static final long FAILED_FIRST_MS = 10_000;
    static final long FAILED_MAX_MS = 300_000;

    private final ModelPuller puller;
    private final java.util.function.LongSupplier clockMillis;
    private final Map<String, Failed> failed = new ConcurrentHashMap<>();
    private final Map<String, String> versions = new LinkedHashMap<>();
    private final Map<String, ModelPuller.Pulled> pulled = new ConcurrentHashMap<>();
    private volatile String waiting;

    /** A pull that failed: its answer, when the store may be asked again, and the wait that set it. */
    private record Failed(int status, String reason, long retryAt, long backoffMs) {
    }

    StoreModels(ModelPuller puller, java.util.function.LongSupplier clockMillis) {
        this.puller = puller;
        this.clockMillis = clockMillis;
    }

    /** The store the environment names, or empty when MODEL_STORE is not set (models from MODEL_DIR as before). */
    static Optional<StoreModels> fromEnv(Map<String, String> env) {
        String store = env.get("MODEL_STORE");
        if (store == null || store.isBlank()) {
            return Optional.empty();
        }
        String cacheDir = env.getOrDefault("MODEL_CACHE_DIR", "/var/cache/models");
        long cacheSize = lib.config.ByteSize.parse(env.getOrDefault("MODEL_CACHE_SIZE", "10Gi"));
        if (cacheSize <= 0) {
            throw new ServerSettings.BadSetting("MODEL_CACHE_SIZE=" + env.get("MODEL_CACHE_SIZE") + " is not a size");
        }
        try {
            ModelCache cache = new ModelCache(Path.of(cacheDir), cacheSize);
            return Optional.of(new StoreModels(new ModelPuller(ModelStores.open(store, env.getOrDefault("S3_ENDPOINT", ""), null), cache),
                    System::currentTimeMillis));
        } catch (StoreException e) {
            throw new ServerSettings.BadSetting(e.getMessage());
        }
    }

    /**
     * The environment the settings read, with the store's models as MODEL_DIR/MODEL_NAME (the
     * first of STORE_MODELS) and MODELS (the others): each its version folder in the cache, made
     * empty now and filled by the pull before the model loads.
     */
    Map<String, String> serverEnv(Map<String, String> env) {
        String list = env.get("STORE_MODELS");
        if (list == null || list.isBlank()) {
            throw new ServerSettings.BadSetting("MODEL_STORE is set but STORE_MODELS is empty: it names each model as name@version");
        }
        Map<String, String> out = new LinkedHashMap<>(env);
        List<String> extras = new ArrayList<>();
        for (String entry : list.split(",")) {
            String e = entry.strip();
            String copies = "";
            int star = e.indexOf('*');
            if (star >= 0) {
                copies = e.substring(star);
                e = e.substring(0, star);
            }
            String[] nv;
            try {
                nv = StoreNames.pinned(e);
            } catch (StoreException x) {
                throw new ServerSettings.BadSetting("STORE_MODELS: " + x.getMessage());
            }
            if (versions.putIfAbsent(nv[0], nv[1]) != null) {
                throw new ServerSettings.BadSetting("STORE_MODELS names " + nv[0] + " twice");
            }
            Path dir = puller.cache().dir().resolve(nv[0]).resolve(nv[1]);
            try {
                Files.createDirectories(dir);
            } catch (IOException x) {
                throw new ServerSettings.BadSetting("MODEL_CACHE_DIR: cannot create " + dir + ": " + x.getMessage());
            }
            if (versions.size() == 1) {
                out.put("MODEL_DIR", dir.toString());
                out.put("MODEL_NAME", nv[0]);
            } else {
                extras.add(nv[0] + "=" + dir + copies);
            }
        }
        out.put("MODELS", String.join(",", extras));
        return out;
    }

    /** The loader, asking for each model's files first. */
    ModelLoader wrap(ModelLoader inner) {
        return new ModelLoader() {
            @Override
            public ServedModel load(ModelFolder folder, int copy) throws Exception {
                ensure(folder);
                return inner.load(folder, copy);
            }

            @Override
            public int failsAlone(Throwable e) {
                return e instanceof PullFailed p ? p.status : 0;
            }

            @Override
            public boolean sharedWeights() {
                return inner.sharedWeights();
            }

            @Override
            public long bytes(ModelFolder folder) {
                // before its pull a model counts with the size of its model file (the manifest's largest) in the store
                if (pulled.containsKey(folder.name()) || puller.cache().lookup(folder.name(), versions.get(folder.name())).isPresent()) {
                    return inner.bytes(folder);
                }
                try {
                    return puller.manifest(folder.name(), versions.get(folder.name())).files().stream()
                            .mapToLong(lib.store.Manifest.File::size).max().orElse(0);
                } catch (StoreException e) {
                    return 0;
                }
            }

            @Override
            public Map<String, Object> metadata(ModelFolder folder) {
                return Files.isRegularFile(folder.dir().resolve("metadata.json")) ? inner.metadata(folder) : Map.of();
            }
        };
    }

    /**
     * Pulls the model's pinned version into the cache. A pinned model waits out an unreachable
     * store (backoff doubling to 30 s, one log line per attempt); any other failure, and any
     * failure of an unpinned model, fails the load with the store's reason, and the model stays
     * failed (its loads answer that reason without asking the store) for FAILED_FIRST_MS, doubling
     * with each failure to FAILED_MAX_MS: a missing model is not pulled again for every request.
     */
    private void ensure(ModelFolder folder) throws InterruptedException {
        String name = folder.name();
        String version = versions.get(name);
        Failed before = failed.get(name);
        long now = clockMillis.getAsLong();
        if (before != null && now < before.retryAt()) {
            throw new PullFailed(before.status(), before.reason() + " (the store is asked again in "
                    + Math.ceilDiv(before.retryAt() - now, 1000) + " s)");
        }
        long backoff = 1000;
        for (int attempt = 1; ; attempt++) {
            try {
                ModelPuller.Pulled p = puller.pull(name, version);
                pulled.put(name, p);
                failed.remove(name);
                waiting = null;
                Log.line("level=info event=model_pulled model=%s version=%s source=\"%s\" cache_hit=%s bytes=%d ms=%d", name, version,
                        Log.quoted(p.source()), p.cacheHit(), p.bytes(), p.millis());
                return;
            } catch (StoreException e) {
                if (!e.retryable() || !folder.pinned()) {
                    long wait = before == null ? FAILED_FIRST_MS : Math.min(FAILED_MAX_MS, before.backoffMs() * 2);
                    Failed f = new Failed(e.kind() == StoreException.Kind.MISSING ? 404 : 503, "model " + name + "@" + version
                            + " cannot be pulled: " + e.getMessage(), clockMillis.getAsLong() + wait, wait);
                    failed.put(name, f);
                    Log.line("level=error event=pull_failed model=%s version=%s kind=%s retry_ms=%d error=\"%s\"", name, version, e.kind(),
                            wait, Log.quoted(e.getMessage()));
                    throw new PullFailed(f.status(), f.reason() + " (the store is asked again in " + wait / 1000 + " s)");
                }
                waiting = "model store unreachable (attempt " + attempt + "): " + e.getMessage();
                Log.line("level=warn event=store_unreachable model=%s attempt=%d retry_ms=%d error=\"%s\"", name, attempt, backoff,
                        Log.quoted(e.getMessage()));
                Thread.sleep(backoff);
                backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
            }
        }
    }

    /** A model the store lacks (404), refuses or holds corrupt (503): it fails alone, the others serve. */
    static final class PullFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        PullFailed(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /** Why the pinned models are not there yet (the store cannot be reached), or null. */
    String waiting() {
        return waiting;
    }

    /** For /models: where the model came from, its version, what pulling it cost, and the cache hits. */
    Map<String, Object> info(String name) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("store", puller.store());
        m.put("version", versions.get(name));
        ModelPuller.Pulled p = pulled.get(name);
        if (p != null) {
            m.put("source", p.cacheHit() ? "cache" : "store");
        }
        ModelPuller.Stats s = puller.stats(name);
        m.put("downloads", s.downloads());
        m.put("download_bytes", s.bytes());
        m.put("download_seconds", s.millis() / 1000.0);
        m.put("cache_hits", s.cacheHits());
        return m;
    }

    /** Per model, for the metrics: its counters as the puller keeps them. */
    ModelPuller.Stats stats(String name) {
        return puller.stats(name);
    }

    List<String> names() {
        return List.copyOf(versions.keySet());
    }
}
