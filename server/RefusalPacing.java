package server;

import io.javalin.http.Context;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.Attributes;

/**
 * Refusals paced per connection: a connection refused again before the Retry-After it was given
 * has passed gets that refusal when the time is up, not at once. A client that retries at once
 * (wrk, a tight loop) would otherwise spend the cores on whole HTTP exchanges of refusals, as many
 * as it can make, and leave the forwards what the scheduler spares them; a client that waits as
 * asked is refused at once, as before. A held refusal holds no thread, and its connection is not
 * read meanwhile (HTTP/1.1 answers in order). Figures: docs/benchmarks.md, "Overload without collapse".
 */
final class RefusalPacing {
    /** The connection's attribute: System.nanoTime() of its last refusal. */
    private static final String REFUSED_AT = "jdo.refusedAt";

    private RefusalPacing() {
    }

    /**
     * Nothing when refused is null (the request is admitted: false); else answers the refusal, at
     * once (thrown to the error table) or, on a connection that ignored its last Retry-After, once
     * that has passed (true: the handler returns).
     */
    static boolean refused(Context ctx, ServerError refused) {
        if (refused == null) {
            return false;
        }
        Attributes connection = connection(ctx);
        if (connection == null || refused.retryAfterSeconds <= 0) {
            throw refused;
        }
        long now = System.nanoTime();
        long wait = connection.getAttribute(REFUSED_AT) instanceof Long at
                ? at + TimeUnit.SECONDS.toNanos(refused.retryAfterSeconds) - now
                : 0;
        if (wait <= 0) {
            connection.setAttribute(REFUSED_AT, now);
            throw refused;
        }
        connection.setAttribute(REFUSED_AT, now + wait);
        ctx.future(() -> CompletableFuture.runAsync(() -> {
            throw refused;
        }, CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS)));
        return true;
    }

    /** The attributes of the request's connection (Jetty's), or null where there are none. */
    private static Attributes connection(Context ctx) {
        try {
            return org.eclipse.jetty.ee10.servlet.ServletContextRequest.getServletContextRequest(ctx.req()).getConnectionMetaData();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }
}
