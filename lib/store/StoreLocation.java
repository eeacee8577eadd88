package lib.store;

//SOURCES StoreException.java ../config/StoreValues.java

import java.nio.file.Path;
import lib.config.StoreValues;

/**
 * Where a model store is, as config's model_store writes it: `s3://bucket/prefix` or a folder path
 * (a local or mounted disk). {@link #problem} says in one line why a value is not one.
 */
public sealed interface StoreLocation {
    /** A bucket and a key prefix without leading or trailing '/' (may be empty). */
    record S3(String bucket, String prefix) implements StoreLocation {
        @Override
        public String toString() {
            return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
        }
    }

    /** A folder that holds the store's files. */
    record Folder(Path path) implements StoreLocation {
        @Override
        public String toString() {
            return path.toString();
        }
    }

    /** The location a model_store value names; a value that is not one is a BAD_INPUT StoreException. */
    static StoreLocation parse(String value) {
        String problem = problem(value);
        if (problem != null) {
            throw new StoreException(StoreException.Kind.BAD_INPUT, problem);
        }
        String v = value.strip();
        if (v.startsWith("s3://")) {
            String rest = v.substring(5);
            int slash = rest.indexOf('/');
            String bucket = slash < 0 ? rest : rest.substring(0, slash);
            String prefix = slash < 0 ? "" : rest.substring(slash + 1).replaceAll("/+$", "");
            return new S3(bucket, prefix);
        }
        return new Folder(Path.of(v).toAbsolutePath().normalize());
    }

    /** Why a model_store value is not a store location, in one line; null when it is one (empty is none). */
    static String problem(String value) {
        return StoreValues.modelStoreProblem(value);
    }

    /** Why an s3_endpoint value is not an endpoint URL, in one line; null when it is one (empty means AWS). */
    static String endpointProblem(String value) {
        return StoreValues.endpointProblem(value);
    }
}
