package lib.store;

//SOURCES StoreException.java

import java.util.regex.Pattern;

/**
 * The names that become keys in the store and folders in the disk cache: model names, versions and
 * file names. Each is one path segment of a plain alphabet, so no value read from an index or a
 * manifest can reach outside the store prefix or the cache folder ("..", "/", absolute paths).
 */
public final class StoreNames {
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
    private static final Pattern VERSION = Pattern.compile("[0-9a-f]{12}");

    private StoreNames() {
    }

    /** A model name (as Names.modelName() writes it); refused when it could escape. */
    public static String name(String name) {
        return segment("model name", name);
    }

    /** A version: 12 lower-case hex digits of the model file's SHA-256. */
    public static String version(String version) {
        if (version == null || !VERSION.matcher(version).matches()) {
            throw new StoreException(StoreException.Kind.BAD_INPUT, "model version '" + printable(version)
                    + "' is not 12 hex digits; a store version is derived from the model file's SHA-256");
        }
        return version;
    }

    /** A file name inside a model version. */
    public static String file(String file) {
        return segment("file name", file);
    }

    private static String segment(String what, String value) {
        if (value == null || !SEGMENT.matcher(value).matches() || value.contains("..")) {
            throw new StoreException(StoreException.Kind.BAD_INPUT, what + " '" + printable(value)
                    + "' is refused: one path segment of letters, digits, '.', '_' and '-', without '..'");
        }
        return value;
    }

    /** name@version, the form servers are handed; both parts checked. */
    public static String[] pinned(String pinned) {
        int at = pinned.indexOf('@');
        if (at < 0) {
            throw new StoreException(StoreException.Kind.BAD_INPUT, "'" + printable(pinned) + "' is not name@version");
        }
        return new String[] {name(pinned.substring(0, at)), version(pinned.substring(at + 1))};
    }

    /** A value fit for a one-line message: control characters shown as '?', and at most 80 characters. */
    static String printable(String value) {
        if (value == null) {
            return "null";
        }
        String v = value.replaceAll("\\p{Cntrl}", "?");
        return v.length() > 80 ? v.substring(0, 80) + "..." : v;
    }
}
