package lib.store;

//SOURCES Blobs.java Manifest.java ModelCache.java StoreException.java StoreNames.java

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Brings a pinned model version from the store into the disk cache: each file to a temporary
 * folder, checked against the manifest's size and SHA-256, and the folder renamed into place only
 * when all match, so a partial or corrupt copy is never loaded. Requests for a version already
 * being pulled wait on that one download.
 */
public final class ModelPuller implements AutoCloseable {
    /** Where a model's files are now, where they came from and what getting them cost. */
    public record Pulled(String name, String version, Path dir, String source, boolean cacheHit, long bytes, long millis) {
    }

    /** Per model: cache hits, downloads and their bytes and milliseconds, for /models and metrics. */
    public record Stats(long cacheHits, long downloads, long bytes, long millis) {
        Stats plus(Pulled p) {
            return p.cacheHit() ? new Stats(cacheHits + 1, downloads, bytes, millis)
                    : new Stats(cacheHits, downloads + 1, bytes + p.bytes(), millis + p.millis());
        }
    }

    private final Blobs blobs;
    private final ModelCache cache;
    private final Map<String, CompletableFuture<Pulled>> inFlight = new ConcurrentHashMap<>();
    private final Map<String, Stats> stats = new ConcurrentHashMap<>();

    public ModelPuller(Blobs blobs, ModelCache cache) {
        this.blobs = blobs;
        this.cache = cache;
    }

    public String store() {
        return blobs.describe();
    }

    public ModelCache cache() {
        return cache;
    }

    /** The manifest of name@version as the store holds it (one small read), checked like a pull checks it. */
    public Manifest manifest(String name, String version) {
        String base = Blobs.key(StoreNames.name(name), StoreNames.version(version));
        byte[] bytes = blobs.read(base + "/" + Manifest.FILE).orElseThrow(() -> new StoreException(StoreException.Kind.MISSING,
                "no model " + name + "@" + version + " in " + blobs.describe() + " (no " + base + "/" + Manifest.FILE + ")"));
        Manifest manifest = Manifest.parse(bytes, base + "/" + Manifest.FILE + " in " + blobs.describe());
        if (!manifest.name().equals(name) || !manifest.version().equals(version)) {
            throw new StoreException(StoreException.Kind.CORRUPT, base + "/" + Manifest.FILE + " in " + blobs.describe()
                    + " describes " + manifest.name() + "@" + manifest.version() + ", not " + name + "@" + version);
        }
        return manifest;
    }

    /** Pulls name@version on the calling thread (joining a pull already under way). */
    public Pulled pull(String name, String version) {
        try {
            return pullAsync(name, version, Runnable::run).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /**
     * The pull of name@version, started on executor unless one is under way; each caller may wait
     * on the future with its own deadline without cancelling the download for the others.
     */
    public CompletableFuture<Pulled> pullAsync(String name, String version, Executor executor) {
        String key = StoreNames.name(name) + "@" + StoreNames.version(version);
        CompletableFuture<Pulled> mine = new CompletableFuture<>();
        CompletableFuture<Pulled> running = inFlight.putIfAbsent(key, mine);
        if (running != null) {
            return running.copy();
        }
        executor.execute(() -> {
            try {
                Pulled p = fetch(name, version);
                stats.merge(name, new Stats(0, 0, 0, 0).plus(p), (a, b) -> a.plus(p));
                mine.complete(p);
            } catch (Throwable t) {
                mine.completeExceptionally(t);
            } finally {
                inFlight.remove(key, mine);
            }
        });
        return mine.copy();
    }

    public Stats stats(String name) {
        return stats.getOrDefault(name, new Stats(0, 0, 0, 0));
    }

    private Pulled fetch(String name, String version) {
        long start = System.nanoTime();
        var hit = cache.lookup(name, version);
        if (hit.isPresent()) {
            return new Pulled(name, version, hit.get(), "cache", true, 0, (System.nanoTime() - start) / 1_000_000);
        }
        String base = Blobs.key(name, version);
        String what = name + "@" + version;
        Manifest manifest = manifest(name, version);
        cache.reserve(what, manifest.size());
        Path partial = cache.partial(name, version);
        try {
            long bytes = 0;
            for (Manifest.File f : manifest.files()) {
                bytes += download(base + "/" + f.name(), partial.resolve(f.name()), f, what);
            }
            Files.write(partial.resolve(Manifest.FILE), manifest.toJson());
            Path dir = cache.commit(partial, name, version);
            return new Pulled(name, version, dir, blobs.describe(), false, bytes, (System.nanoTime() - start) / 1_000_000);
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.UNREACHABLE, "cannot write " + what + " into the model cache: " + e.getMessage());
        } finally {
            try {
                ModelCache.delete(partial);
            } catch (IOException ignored) {
                // the next start clears .partial
            }
        }
    }

    /** Copies one object to a file, never past the manifest's size, and checks size and SHA-256. */
    private long download(String key, Path to, Manifest.File expected, String what) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long n = 0;
        try (InputStream in = blobs.open(key); OutputStream out = Files.newOutputStream(to)) {
            byte[] buffer = new byte[1 << 16];
            for (int r; (r = in.read(buffer)) > 0; ) {
                n += r;
                if (n > expected.size()) {
                    throw new StoreException(StoreException.Kind.CORRUPT, what + ": " + expected.name()
                            + " in the store is larger than the " + expected.size() + " bytes its manifest says: refused");
                }
                digest.update(buffer, 0, r);
                out.write(buffer, 0, r);
            }
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.UNREACHABLE, what + ": reading " + expected.name() + " from "
                    + blobs.describe() + " broke off: " + e.getMessage(), e);
        }
        String sha = HexFormat.of().formatHex(digest.digest());
        if (n != expected.size() || !sha.equals(expected.sha256())) {
            throw new StoreException(StoreException.Kind.CORRUPT, what + ": " + expected.name() + " from " + blobs.describe()
                    + " has " + n + " bytes with SHA-256 " + sha.substring(0, 12) + "..., the manifest says " + expected.size()
                    + " bytes with " + expected.sha256().substring(0, 12) + "...: refused");
        }
        return n;
    }

    @Override
    public void close() {
        blobs.close();
    }
}
