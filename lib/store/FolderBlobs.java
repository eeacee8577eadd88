package lib.store;

//SOURCES Blobs.java StoreException.java StoreNames.java

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.OptionalLong;

/** A store on a local or mounted disk: each key a file under the folder, written by rename. */
final class FolderBlobs implements Blobs {
    private final Path root;

    FolderBlobs(Path root) {
        this.root = root;
    }

    private Path file(String key) {
        Path f = root.resolve(key).normalize();
        if (!f.startsWith(root)) {
            throw new StoreException(StoreException.Kind.BAD_INPUT, "key '" + StoreNames.printable(key) + "' leaves the store folder");
        }
        return f;
    }

    @Override
    public OptionalLong size(String key) {
        try {
            return OptionalLong.of(Files.size(file(key)));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            throw failure(key, e);
        }
    }

    @Override
    public InputStream open(String key) {
        try {
            return Files.newInputStream(file(key));
        } catch (IOException e) {
            throw failure(key, e);
        }
    }

    @Override
    public Optional<byte[]> read(String key) {
        try {
            return Optional.of(Files.readAllBytes(file(key)));
        } catch (NoSuchFileException e) {
            probe();
            return Optional.empty();
        } catch (IOException e) {
            throw failure(key, e);
        }
    }

    @Override
    public void write(String key, Path from) {
        try (InputStream in = Files.newInputStream(from)) {
            write(key, in);
        } catch (IOException e) {
            throw failure(key, e);
        }
    }

    @Override
    public void write(String key, byte[] bytes) {
        write(key, new java.io.ByteArrayInputStream(bytes));
    }

    private void write(String key, InputStream in) {
        Path to = file(key);
        try {
            Files.createDirectories(to.getParent());
            Path tmp = Files.createTempFile(to.getParent(), "." + to.getFileName(), ".tmp");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw failure(key, e);
        }
    }

    /** One monitor per lock file: a file lock belongs to the process, so threads of one process take this first. */
    private static final java.util.concurrent.ConcurrentMap<Path, Object> LOCKS = new java.util.concurrent.ConcurrentHashMap<>();

    /** Under a lock file beside the object (flock: also across hosts on NFSv4 and EFS), then written by rename. */
    @Override
    public boolean update(String key, java.util.function.Function<Optional<byte[]>, byte[]> change) {
        Path to = file(key);
        Path lock = to.resolveSibling("." + to.getFileName() + ".lock");
        synchronized (LOCKS.computeIfAbsent(lock, p -> new Object())) {
            try {
                Files.createDirectories(to.getParent());
                try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(lock,
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
                     java.nio.channels.FileLock held = channel.lock()) {
                    byte[] next = change.apply(read(key));
                    if (next == null) {
                        return false;
                    }
                    write(key, next);
                    return true;
                }
            } catch (IOException e) {
                throw failure(key, e);
            }
        }
    }

    @Override
    public void probe() {
        if (!Files.isDirectory(root)) {
            throw new StoreException(StoreException.Kind.UNREACHABLE, "the store folder " + root + " does not exist (not mounted?)");
        }
        if (!Files.isReadable(root)) {
            throw new StoreException(StoreException.Kind.FORBIDDEN, "the store folder " + root + " cannot be read");
        }
    }

    @Override
    public String describe() {
        return root.toString();
    }

    @Override
    public void close() {
    }

    private StoreException failure(String key, IOException e) {
        if (e instanceof NoSuchFileException) {
            probe();
            return new StoreException(StoreException.Kind.MISSING, "no " + key + " in the store " + root);
        }
        if (e instanceof AccessDeniedException) {
            return new StoreException(StoreException.Kind.FORBIDDEN, "access denied to " + key + " in the store " + root);
        }
        return new StoreException(StoreException.Kind.UNREACHABLE, key + " in the store " + root + ": " + e, e);
    }
}
