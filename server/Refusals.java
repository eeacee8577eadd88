package server;

import io.prometheus.metrics.core.metrics.Counter;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Predictions refused or dropped without a forward: counted by model and reason in
 * jdo_refused_total, and logged as a rate, one line per interval with the counts by reason
 * ({@code level=warn event=refused seconds=10 total=N queue_full=..}), never a line each. Under a
 * flood a line per refusal would cost the cores the forwards need and flood any log pipeline
 * behind the server; the request log leaves refusals (503, 504) to this line.
 */
final class Refusals {
    /** Seconds between two lines (a line only when something was refused). */
    static final int INTERVAL_SECONDS = 10;

    private final Counter metric;
    private final Consumer<String> log;
    private final Map<String, LongAdder> since = new ConcurrentHashMap<>();
    private long lastNanos = System.nanoTime();
    private Thread writer;

    /** @param metric jdo_refused_total (labels model, reason); @param log where the interval lines go */
    Refusals(Counter metric, Consumer<String> log) {
        this.metric = metric;
        this.log = log;
    }

    void count(String model, String reason) {
        metric.labelValues(model, reason).inc();
        since.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    /** Starts writing a line every interval. */
    synchronized void start() {
        if (writer != null) {
            return;
        }
        writer = Thread.ofPlatform().name("refusal-log").daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(TimeUnit.SECONDS.toMillis(INTERVAL_SECONDS));
                } catch (InterruptedException e) {
                    return;
                }
                flush();
            }
        });
    }

    /** Writes what was refused since the last line, if anything (at each interval, and at stop). */
    synchronized void flush() {
        Map<String, Long> counts = new TreeMap<>();
        long total = 0;
        for (Map.Entry<String, LongAdder> e : since.entrySet()) {
            long n = e.getValue().sumThenReset();
            if (n > 0) {
                counts.put(e.getKey(), n);
                total += n;
            }
        }
        long now = System.nanoTime();
        double seconds = (now - lastNanos) / 1e9;
        lastNanos = now;
        if (total == 0) {
            return;
        }
        StringBuilder line = new StringBuilder(String.format(java.util.Locale.ROOT, "level=warn event=refused seconds=%.1f total=%d",
                seconds, total));
        counts.forEach((reason, n) -> line.append(' ').append(reason).append('=').append(n));
        log.accept(line.toString());
    }

    /** Stops the interval line, writing the last one. */
    synchronized void stop() {
        if (writer != null) {
            writer.interrupt();
            writer = null;
        }
        flush();
    }
}
