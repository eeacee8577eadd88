package lib.store;

/**
 * A model store refused or failed one request: one line for the user, and what kind of failure it
 * was, so that a server can tell "the store is down" (retry) from "this model is broken" (mark it).
 */
public final class StoreException extends RuntimeException {
    /** What went wrong, in the terms a server and a CLI act on. */
    public enum Kind {
        /** A name, version, file name or setting that is not allowed (could escape, does not parse). */
        BAD_INPUT,
        /** The object or model is not in the store. */
        MISSING,
        /** The store refused access (403), or the credentials were rejected. */
        FORBIDDEN,
        /** No credentials found by the SDK's default chain. */
        NO_CREDENTIALS,
        /** Bytes read do not match the manifest (size or SHA-256), or a manifest/index does not parse. */
        CORRUPT,
        /** A model larger than the whole disk cache. */
        TOO_LARGE,
        /** The store could not be reached or answered with a server error: worth retrying. */
        UNREACHABLE
    }

    private final Kind kind;

    public StoreException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public StoreException(Kind kind, String message, Throwable cause) {
        super(message, cause, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** Whether trying again later may succeed (the store was down, not the request wrong). */
    public boolean retryable() {
        return kind == Kind.UNREACHABLE;
    }
}
