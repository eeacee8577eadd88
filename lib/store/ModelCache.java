package lib.store;

//SOURCES Manifest.java StoreException.java StoreNames.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The servers' disk copies of store models: `<dir>/<name>/<version>/`, whole or absent (a version
 * appears by one rename once every file is verified), at most maxBytes in all. Room is made by
 * removing the least recently used versions; the time of a version's manifest.json is its last use.
 * One process owns a cache folder (each server its own).
 */
public final class ModelCache {
    static final String PARTIAL = ".partial";

    private final Path dir;
    private final long maxBytes;

    public ModelCache(Path dir, long maxBytes) {
        this.dir = dir.toAbsolutePath().normalize();
        this.maxBytes = maxBytes;
        try {
            Files.createDirectories(this.dir);
            delete(this.dir.resolve(PARTIAL)); // downloads a previous run left unfinished
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.BAD_INPUT, "cannot use the model cache folder " + dir + ": " + e.getMessage());
        }
    }

    public Path dir() {
        return dir;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** The folder of a cached version when it is whole (its files have the manifest's sizes); marks it used. */
    public synchronized Optional<Path> lookup(String name, String version) {
        Path v = dir.resolve(StoreNames.name(name)).resolve(StoreNames.version(version));
        Path manifestFile = v.resolve(Manifest.FILE);
        if (!Files.isRegularFile(manifestFile)) {
            return Optional.empty();
        }
        try {
            Manifest m = Manifest.parse(Files.readAllBytes(manifestFile), manifestFile.toString());
            for (Manifest.File f : m.files()) {
                Path p = v.resolve(f.name());
                if (!Files.isRegularFile(p) || Files.size(p) != f.size()) {
                    delete(v);
                    return Optional.empty();
                }
            }
            Files.setLastModifiedTime(manifestFile, FileTime.fromMillis(System.currentTimeMillis()));
            return Optional.of(v);
        } catch (IOException | StoreException e) {
            try {
                delete(v);
            } catch (IOException ignored) {
                // looked up again next time
            }
            return Optional.empty();
        }
    }

    /** A fresh folder for one download, inside the cache so that committing it is a rename. */
    synchronized Path partial(String name, String version) {
        try {
            Path p = dir.resolve(PARTIAL);
            Files.createDirectories(p);
            return Files.createTempDirectory(p, StoreNames.name(name) + "@" + StoreNames.version(version) + "-");
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.UNREACHABLE, "cannot write the model cache " + dir + ": " + e.getMessage());
        }
    }

    /**
     * Makes room for bytes more by removing least recently used versions other than keep; a model
     * larger than the whole cache is TOO_LARGE.
     */
    synchronized void reserve(String what, long bytes) {
        if (bytes > maxBytes) {
            throw new StoreException(StoreException.Kind.TOO_LARGE, what + " is " + bytes + " bytes, more than the whole model cache ("
                    + maxBytes + " bytes, model_cache_size): raise model_cache_size");
        }
        List<Path> versions = versions();
        long used = 0;
        for (Path v : versions) {
            used += sizeOf(v);
        }
        versions.sort(Comparator.comparing(ModelCache::lastUsed));
        for (Path v : versions) {
            if (used + bytes <= maxBytes) {
                break;
            }
            long s = sizeOf(v);
            try {
                delete(v);
                used -= s;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Moves a verified download into place; returns the version folder. */
    synchronized Path commit(Path partial, String name, String version) {
        Path target = dir.resolve(StoreNames.name(name)).resolve(StoreNames.version(version));
        try {
            Files.createDirectories(target.getParent());
            delete(target);
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.UNREACHABLE, "cannot write the model cache " + dir + ": " + e.getMessage());
        }
    }

    /** The bytes the cached versions take. */
    public synchronized long usedBytes() {
        return versions().stream().mapToLong(ModelCache::sizeOf).sum();
    }

    /** Every whole version folder, as name/version paths. */
    public synchronized List<Path> versions() {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> names = Files.list(dir)) {
            for (Path n : names.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().equals(PARTIAL)).toList()) {
                try (Stream<Path> vs = Files.list(n)) {
                    vs.filter(v -> Files.isRegularFile(v.resolve(Manifest.FILE))).forEach(out::add);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static FileTime lastUsed(Path version) {
        try {
            return Files.getLastModifiedTime(version.resolve(Manifest.FILE));
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private static long sizeOf(Path version) {
        try (Stream<Path> files = Files.list(version)) {
            long total = 0;
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().equals(Manifest.FILE)) {
                    total += Files.size(f);
                }
            }
            return total;
        } catch (IOException e) {
            return 0;
        }
    }

    static void delete(Path p) throws IOException {
        if (Files.exists(p)) {
            try (Stream<Path> files = Files.walk(p)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
    }
}
