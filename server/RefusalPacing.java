package server;

import io.javalin.http.Context;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.eclipse.jetty.util.Attributes;

/**
 * Admission paced per connection: a request on a connection refused less than its Retry-After
 * ago is held until that time is up, then admitted or refused as the server stands then. A client
 * that retries at once (wrk, a tight loop) would otherwise spend the cores on whole HTTP exchanges
 * of refusals, as many as it can make, and leave the forwards what the scheduler spares them; a
 * client that waits as asked is admitted or refused at once, as before, and a proxy's connection
 * shared by many clients costs them a wait, never a refusal the server would not give. A held
 * request holds no thread, and its connection is not read meanwhile (HTTP/1.1 answers in order).
 * Figures: docs/benchmarks.md, "Refusals paced per connection".
 */
final class RefusalPacing {
    /** The connection's attribute: the System.nanoTime() before which its requests are held. */
    private static final String HELD_UNTIL = "jdo.heldUntil";
    private static final Executor LATER = Executors.newVirtualThreadPerTaskExecutor();

    /** The rest of a prediction once admitted: reads the body and starts it; done once its answer is written. */
    interface Admitted {
        CompletableFuture<?> start() throws Exception;
    }

    private RefusalPacing() {
    }

    /**
     * Asks refusal once, when the connection is not held (now) or its hold is up (later): a
     * refusal (a ServerError with Retry-After) is answered by the error table, and holds the
     * connection for its Retry-After; else admitted starts, and its answer is written when done.
     * A refusal reads no body.
     */
    static void admit(Context ctx, Supplier<ServerError> refusal, Admitted admitted) throws Exception {
        Attributes connection = connection(ctx);
        long wait = connection != null && connection.getAttribute(HELD_UNTIL) instanceof Long until ? until - System.nanoTime() : 0;
        if (wait <= 0) {
            HttpApi.reply(ctx, decide(connection, refusal, admitted));
            return;
        }
        ctx.future(() -> CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS, LATER))
                .thenCompose(held -> decide(connection, refusal, admitted)));
    }

    private static CompletableFuture<?> decide(Attributes connection, Supplier<ServerError> refusal, Admitted admitted) {
        try {
            ServerError refused = refusal.get();
            if (refused == null) {
                return admitted.start();
            }
            if (connection != null && refused.retryAfterSeconds > 0) {
                connection.setAttribute(HELD_UNTIL, System.nanoTime() + TimeUnit.SECONDS.toNanos(refused.retryAfterSeconds));
            }
            return CompletableFuture.failedFuture(refused);
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
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
