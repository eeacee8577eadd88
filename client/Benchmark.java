package client;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import lib.report.BenchmarkResult;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.Recorder;

/**
 * bmk: requests under load, latencies in HdrHistogram, progress lines every interval, after a
 * warm-up that is sent but not counted (the servers' and this client's JIT). Closed loop: each of
 * `threads` workers sends its next request when its last one is answered. Open loop: request i is
 * due at start + i / rate and leaves then on a free connection of at most `connections`, whether
 * or not earlier ones were answered; its latency counts from its due time, so a queue at the
 * server, or all connections busy, shows in the latencies (coordinated omission, as wrk2 corrects
 * it). Requests that found every connection busy at their due time are counted and reported.
 */
final class Benchmark {
    /** An open-loop request that leaves this much after its due time waited for a connection. */
    static final long LATE_NANOS = 1_000_000;

    record Settings(String name, int threads, int connections, double rate, double warmup, double duration,
                    double interval, int timeoutMillis, Path results) {
        boolean open() {
            return rate > 0;
        }

        int workers() {
            return open() ? connections : threads;
        }
    }

    private final Settings settings;
    private final Targets targets;
    private final PrintStream out;
    private final Recorder recorder = new Recorder(BenchmarkResult.HIGHEST_MICROS, BenchmarkResult.DIGITS);
    /** The measured requests whose answer said they waited for a model's load (a catalog's cold loads). */
    private final Recorder cold = new Recorder(BenchmarkResult.HIGHEST_MICROS, BenchmarkResult.DIGITS);
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final LongAdder late = new LongAdder();
    private final AtomicLong tickets = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

    Benchmark(Settings settings, Targets targets, PrintStream out) {
        this.settings = settings;
        this.targets = targets;
        this.out = out;
    }

    /** Runs the benchmark; the result it prints last (and writes under results) is what bma reads. */
    BenchmarkResult run() throws IOException, InterruptedException {
        Settings s = settings;
        long begin = System.nanoTime();
        long measureFrom = begin + nanos(s.warmup());
        long measureUntil = measureFrom + nanos(s.duration());
        long period = s.open() ? (long) (1e9 / s.rate()) : 0;
        out.printf(Locale.ROOT, "bmk %s: %s, %s, %d server(s) x %d models, %.0f s warm-up, %.0f s measured%n", s.name(),
                s.open() ? "open loop" : "closed loop",
                s.open() ? String.format(Locale.ROOT, "%.1f requests/s on up to %d connections", s.rate(), s.connections())
                        : s.threads() + " threads", targets.servers(), targets.size() / targets.servers(), s.warmup(), s.duration());
        out.flush();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < s.workers(); t++) {
            long seed = begin + t;
            workers.add(Thread.ofPlatform().name("bmk-" + t).daemon().start(() -> work(new SplittableRandom(seed), begin, period,
                    measureFrom, measureUntil)));
        }

        Histogram total = BenchmarkResult.newHistogram();
        HistogramLogWriter log = null;
        if (s.results() != null) {
            Files.createDirectories(s.results());
            log = new HistogramLogWriter(s.results().resolve(s.name() + ".hlog").toFile());
            log.outputLogFormatVersion();
            log.outputStartTime(System.currentTimeMillis() + (measureFrom - System.nanoTime()) / 1_000_000);
            log.outputLegend();
        }
        waitUntil(measureFrom);
        Histogram interval = null;
        List<BenchmarkResult.Interval> intervals = new ArrayList<>();
        Map<String, Long> errorsBefore = Map.of();
        long intervalStart = measureFrom;
        while (intervalStart < measureUntil) {
            waitUntil(Math.min(intervalStart + nanos(s.interval()), measureUntil));
            long now = System.nanoTime();
            if (now >= measureUntil) { // the last interval ends when the last measured request is answered
                for (Thread w : workers) {
                    w.join();
                }
                now = Math.max(measureUntil, System.nanoTime());
            }
            interval = recorder.getIntervalHistogram(interval);
            total.add(interval);
            Map<String, Long> errorsNow = snapshot(errors);
            intervals.add(BenchmarkResult.Interval.of((intervalStart - measureFrom) / 1e9, (now - measureFrom) / 1e9, interval,
                    difference(errorsNow, errorsBefore)));
            errorsBefore = errorsNow;
            if (log != null) {
                interval.setStartTimeStamp((intervalStart - begin) / 1_000_000);
                interval.setEndTimeStamp((now - begin) / 1_000_000);
                log.outputIntervalHistogram(interval);
            }
            out.println(intervalLine(interval, (now - intervalStart) / 1e9, count(errors)));
            out.flush();
            intervalStart = now;
        }
        BenchmarkResult result = BenchmarkResult.of(s.name(), s.open() ? "open" : "closed", s.workers(), s.rate(), s.duration(),
                total, count(errors), snapshot(errors), intervals, late.sum());
        if (targets.catalog()) {
            result = result.withColdLoads(cold.getIntervalHistogram());
        }
        long due = s.open() ? dueBetween(begin, period, measureFrom, measureUntil) : 0;
        if (log != null) {
            log.close();
            Files.writeString(s.results().resolve(s.name() + ".json"), result.toLine().substring(BenchmarkResult.PREFIX.length()) + "\n");
        }
        printSummary(result, total, due);
        out.println(result.toLine());
        out.flush();
        return result;
    }

    /** One worker: its own connections (one per server), sending until the measured time is over. */
    private void work(SplittableRandom random, long begin, long period, long measureFrom, long measureUntil) {
        Connection[] connections = new Connection[targets.servers()];
        try {
            while (true) {
                long due;
                if (settings.open()) {
                    due = begin + tickets.getAndIncrement() * period;
                    if (due >= measureUntil) {
                        return;
                    }
                    if (System.nanoTime() - due > LATE_NANOS && due >= measureFrom && inFlight.get() >= settings.connections() - 1) {
                        late.increment(); // not merely this thread scheduled late: every other connection is busy too
                    }
                    waitUntil(due);
                    if (System.nanoTime() >= measureUntil) {
                        return; // due in time, but could not leave before the end: reported as not sent
                    }
                } else {
                    due = System.nanoTime();
                    if (due >= measureUntil) {
                        return;
                    }
                }
                Targets.Target t = targets.pick(random);
                String failure = null;
                boolean coldLoad = false;
                inFlight.incrementAndGet();
                try {
                    Connection c = connection(connections, t);
                    int status = c.send(t.request());
                    coldLoad = c.coldLoad();
                    if (status != 200) {
                        failure = Integer.toString(status);
                    }
                } catch (IOException | RuntimeException e) {
                    failure = e.getClass().getSimpleName();
                } finally {
                    inFlight.decrementAndGet();
                }
                if (due >= measureFrom) {
                    long micros = (System.nanoTime() - due) / 1000;
                    recorder.recordValue(Math.max(1, Math.min(micros, BenchmarkResult.HIGHEST_MICROS)));
                    if (coldLoad) {
                        cold.recordValue(Math.max(1, Math.min(micros, BenchmarkResult.HIGHEST_MICROS)));
                    }
                    if (failure != null) {
                        errors.computeIfAbsent(failure, k -> new LongAdder()).increment();
                    }
                }
            }
        } finally {
            for (Connection c : connections) {
                if (c != null) {
                    c.close();
                }
            }
        }
    }

    private Connection connection(Connection[] connections, Targets.Target t) {
        Connection c = connections[t.server()];
        if (c == null) {
            c = connections[t.server()] = new Connection(t.host(), t.port(), settings.timeoutMillis());
        }
        return c;
    }

    /** The original client's progress line: a Python dict with seconds as strings. */
    static String intervalLine(Histogram h, double seconds, long errors) {
        return String.format(Locale.ROOT, "{'pid': %d, 'throughput': %.1f, 'p50': '%.3f', 'p90': '%.3f', 'p95': '%.3f', 'errors': '%d'}",
                ProcessHandle.current().pid(), seconds > 0 ? h.getTotalCount() / seconds : 0.0,
                h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(90) / 1e6, h.getValueAtPercentile(95) / 1e6, errors);
    }

    /** How many open-loop requests fall due in [from, until). */
    static long dueBetween(long begin, long period, long from, long until) {
        return Math.ceilDiv(until - begin, period) - Math.ceilDiv(from - begin, period);
    }

    private void printSummary(BenchmarkResult r, Histogram h, long due) {
        out.printf(Locale.ROOT, "Summary of %s (%s loop, %d %s, %.0f s measured):%n", r.client(), r.mode(), r.threads(),
                settings.open() ? "connections" : "threads", r.durationSeconds());
        out.printf(Locale.ROOT, "   requests %d, errors %d, throughput %.1f requests/s%n", r.requests(), r.errors(), r.throughput());
        out.printf(Locale.ROOT, "   latency (s): p50 %.4f  p90 %.4f  p95 %.4f  p99 %.4f  p99.9 %.4f  max %.4f%n",
                h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(90) / 1e6, h.getValueAtPercentile(95) / 1e6,
                h.getValueAtPercentile(99) / 1e6, h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6);
        out.println("   errors by status: " + (r.errorsByStatus().isEmpty() ? "none" : r.errorsByStatus()));
        if (settings.open()) {
            out.println(r.late() == 0 ? "   every request left at its due time"
                    : String.format(Locale.ROOT, "   %d requests waited for a connection: all %d were busy (bmk_connections reached);"
                            + " their wait counts in their latency", r.late(), settings.connections()));
            if (due > r.requests()) {
                out.printf(Locale.ROOT, "   %d of %d requests due could not leave before the end (no free connection, or this client"
                        + " short of CPU); they are not counted%n", due - r.requests(), due);
            }
        }
        if (settings.results() != null) {
            out.println("   histogram: " + settings.results().resolve(r.client() + ".hlog") + ", "
                    + settings.results().resolve(r.client() + ".json"));
        }
    }

    private static Map<String, Long> snapshot(Map<String, LongAdder> errors) {
        Map<String, Long> copy = new TreeMap<>();
        errors.forEach((k, v) -> copy.put(k, v.sum()));
        return copy;
    }

    /** Errors by status since `before`, leaving out the statuses that did not grow. */
    private static Map<String, Long> difference(Map<String, Long> now, Map<String, Long> before) {
        Map<String, Long> delta = new TreeMap<>();
        now.forEach((k, v) -> {
            long d = v - before.getOrDefault(k, 0L);
            if (d > 0) {
                delta.put(k, d);
            }
        });
        return delta;
    }

    private static long count(Map<String, LongAdder> errors) {
        return errors.values().stream().mapToLong(LongAdder::sum).sum();
    }

    static long nanos(double seconds) {
        return (long) (seconds * 1e9);
    }

    static void waitUntil(long nanoTime) {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }
}
