package server;

import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import lib.model.Answer;
import lib.model.QaCodec;

/**
 * One accepted request waiting for its forward: the encoded pair, when it was queued, and the
 * future its HTTP exchange waits on. A job whose future is already done (timed out) or whose
 * client went away is abandoned: the batcher drops it instead of computing it.
 */
final class InferenceJob {
    final QaCodec.Encoded input;
    final long queuedNanos = System.nanoTime();
    final CompletableFuture<Answer> result = new CompletableFuture<>();
    private final BooleanSupplier connected;

    InferenceJob(QaCodec.Encoded input, BooleanSupplier connected) {
        this.input = input;
        this.connected = connected;
    }

    boolean abandoned() {
        return result.isDone() || !connected.getAsBoolean();
    }
}
