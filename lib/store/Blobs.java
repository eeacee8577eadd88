package lib.store;

//SOURCES StoreNames.java

import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The objects of a model store under its prefix, S3 or a folder: what publishing and pulling need
 * and nothing more. Keys are relative to the prefix and made of checked {@link StoreNames}.
 * Failures are {@link StoreException}s of the kind a caller acts on.
 */
public interface Blobs extends AutoCloseable {
    /** The object's size, or empty when there is none. */
    OptionalLong size(String key);

    /** The object's bytes as a stream; MISSING when there is none. */
    InputStream open(String key);

    /** A small object (index, manifest) whole, or empty when there is none. */
    Optional<byte[]> read(String key);

    /** Writes a file as the object; readers see the old object or the whole new one. */
    void write(String key, Path file);

    void write(String key, byte[] bytes);

    /**
     * Replaces a small object (the index) by change(its bytes now, empty when there is none) so
     * that no other writer's replacement is lost between the read and the write: S3 writes only if
     * the object is still the one read (If-Match, If-None-Match) and reads again when it is not; a
     * folder holds a lock meanwhile and renames. change returns null to write nothing; returns
     * whether it wrote.
     */
    boolean update(String key, java.util.function.Function<Optional<byte[]>, byte[]> change);

    /** Checks that the store answers and may be read (S3: lists the prefix), or throws why not. */
    void probe();

    /** Where the store is, for messages and /models: s3://bucket/prefix or the folder. */
    String describe();

    @Override
    void close();

    /** A key of segments, each checked like a file name. */
    static String key(String... segments) {
        StringBuilder sb = new StringBuilder();
        for (String s : segments) {
            if (!sb.isEmpty()) {
                sb.append('/');
            }
            sb.append(StoreNames.file(s));
        }
        return sb.toString();
    }
}
