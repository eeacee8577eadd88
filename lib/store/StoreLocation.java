package lib.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.regex.Pattern;

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

    // the general-purpose bucket rules: 3 to 63 of a-z 0-9 . -, a letter or digit at each end
    Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    Pattern IP = Pattern.compile("\\d+\\.\\d+\\.\\d+\\.\\d+");
    Pattern PREFIX_SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

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
        String v = value.strip();
        if (v.isEmpty()) {
            return null;
        }
        if (v.matches("^[A-Za-z][A-Za-z0-9+.-]*://.*") && !v.startsWith("s3://")) {
            return "model_store=" + v + " is neither s3://bucket/prefix nor a folder path";
        }
        if (!v.startsWith("s3://")) {
            return v.contains("\0") ? "model_store is not a folder path" : null;
        }
        String rest = v.substring(5);
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        if (!BUCKET.matcher(bucket).matches() || bucket.contains("..") || IP.matcher(bucket).matches()
                || bucket.startsWith("xn--") || bucket.startsWith("sthree-") || bucket.endsWith("-s3alias")
                || bucket.endsWith("--ol-s3")) {
            return "model_store=" + v + ": '" + StoreNames.printable(bucket) + "' is not a bucket name S3 accepts"
                    + " (3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit)";
        }
        String prefix = slash < 0 ? "" : rest.substring(slash + 1).replaceAll("/+$", "");
        if (!prefix.isEmpty()) {
            for (String segment : prefix.split("/", -1)) {
                if (!PREFIX_SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
                    return "model_store=" + v + ": the prefix '" + StoreNames.printable(prefix)
                            + "' must be folders of letters, digits, '.', '_' and '-' separated by single '/', without '.' or '..'";
                }
            }
        }
        return null;
    }

    /** Why an s3_endpoint value is not an endpoint URL, in one line; null when it is one (empty means AWS). */
    static String endpointProblem(String value) {
        String v = value.strip();
        if (v.isEmpty()) {
            return null;
        }
        try {
            URI uri = new URI(v);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                return "s3_endpoint=" + v + " is not an http:// or https:// URL with a host";
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
                return "s3_endpoint=" + v + " must not hold a user, query or fragment";
            }
            return null;
        } catch (URISyntaxException e) {
            return "s3_endpoint=" + v + " is not a URL: " + e.getReason();
        }
    }
}
