package lib.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;

/**
 * The checks of the model store's keys (model_store, s3_endpoint), here so that config validates
 * them like every key and lib.store (above config) parses only what passed.
 */
public final class StoreValues {
    // the general-purpose bucket rules: 3 to 63 of a-z 0-9 . -, a letter or digit at each end
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IP = Pattern.compile("\\d+\\.\\d+\\.\\d+\\.\\d+");
    private static final Pattern PREFIX_SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

    private StoreValues() {
    }

    /** Why a model_store value is not a store location, in one line; null when it is one (empty is none). */
    public static String modelStoreProblem(String value) {
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
            return "model_store=" + v + ": '" + printable(bucket) + "' is not a bucket name S3 accepts"
                    + " (3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit)";
        }
        String prefix = slash < 0 ? "" : rest.substring(slash + 1).replaceAll("/+$", "");
        if (!prefix.isEmpty()) {
            for (String segment : prefix.split("/", -1)) {
                if (!PREFIX_SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
                    return "model_store=" + v + ": the prefix '" + printable(prefix)
                            + "' must be folders of letters, digits, '.', '_' and '-' separated by single '/', without '.' or '..'";
                }
            }
        }
        return null;
    }

    /** Why an s3_endpoint value is not an endpoint URL, in one line; null when it is one (empty means AWS). */
    public static String endpointProblem(String value) {
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

    /** A value fit for a one-line message: control characters shown as '?', and at most 80 characters. */
    static String printable(String value) {
        String v = value.replaceAll("\\p{Cntrl}", "?");
        return v.length() > 80 ? v.substring(0, 80) + "..." : v;
    }
}
