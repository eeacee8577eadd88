package server;

/**
 * A request the server answers with an error: the HTTP status, the one-line detail of the JSON
 * body and, for refusals a client should retry, the Retry-After seconds. ErrorTable maps it (and
 * every other exception) to JSON in one place.
 */
final class ServerError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final int retryAfterSeconds;

    ServerError(int status, String detail) {
        this(status, detail, 0);
    }

    ServerError(int status, String detail, int retryAfterSeconds) {
        super(detail, null, false, false);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    static ServerError badRequest(String detail) {
        return new ServerError(400, detail);
    }

    /** 503 with Retry-After: overload, loading, shutting down. */
    static ServerError unavailable(String detail, int retryAfterSeconds) {
        return new ServerError(503, detail, retryAfterSeconds);
    }
}
