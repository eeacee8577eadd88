///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVAC_OPTIONS --release 21
//DEPS info.picocli:picocli:4.7.7
//SOURCES ../lib/report/BenchmarkResult.java
package client;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import lib.report.BenchmarkResult;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.Recorder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The load client of the test step. seq and rnd send one request at a time like the original's
 * curl scripts; bmk measures throughput and latency under load with HdrHistogram, after a warm-up
 * that is not counted, either closed loop (each worker waits for its answer) or open loop at a
 * fixed rate, where latency counts from when a request was due, so a slow server cannot hide its
 * queueing (coordinated omission, as wrk2 corrects it).
 */
@Command(name = "load-client", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Sends requests to model servers: seq, rnd, bmk, or idle (waits, for a shell).")
public class LoadClient implements Callable<Integer> {
    /** The original benchmark client's question and context. */
    static final String QUESTION = "how many chapters the book has?";
    static final String CONTEXT = "The number 42 is, in The Hitchhiker's Guide to the Galaxy by Douglas Adams.";
    static final String POST_BODY = json(new Question(QUESTION, CONTEXT));

    /** The request body of the original's --post mode. */
    record Question(String seq_0, String seq_1) {
    }

    @Parameters(index = "0", paramLabel = "TEST", description = "seq, rnd, bmk or idle")
    String test;

    @Option(names = "--server", paramLabel = "URL", description = "Base URL of a model server; repeat for each")
    List<URI> servers = List.of();

    @Option(names = "--models", defaultValue = "1", description = "Models per server (model0..modelN-1)")
    int models;

    @Option(names = "--name", defaultValue = "load-client", description = "Client name, in results and file names")
    String name;

    @Option(names = "--requests", defaultValue = "30", description = "rnd: number of requests")
    int requests;

    @Option(names = "--frequency", defaultValue = "0.01", description = "seq, rnd: seconds between requests")
    double frequency;

    @Option(names = "--threads", defaultValue = "2", description = "bmk: worker threads")
    int threads;

    @Option(names = "--duration", defaultValue = "180", description = "bmk: measured seconds")
    double duration;

    @Option(names = "--interval", defaultValue = "10", description = "bmk: seconds between progress lines")
    double interval;

    @Option(names = "--warmup", defaultValue = "5", description = "bmk: warm-up seconds, not counted")
    double warmup;

    @Option(names = "--rate", defaultValue = "0", description = "bmk: requests per second (open loop); 0 = closed loop")
    double rate;

    @Option(names = "--post", description = "Send POST requests with a JSON body instead of GET")
    boolean post;

    @Option(names = "--timeout", defaultValue = "30", description = "Seconds before a request counts as failed")
    double timeout;

    @Option(names = "--results", paramLabel = "DIR", description = "bmk: write <name>.hlog and <name>.json here")
    Path results;

    @Option(names = "--max-error-rate", paramLabel = "FRACTION", defaultValue = "0",
            description = "Exit 1 when more than this share of requests failed (0 to 1), or when none succeeded")
    double maxErrorRate;

    PrintStream out = System.out;
    private HttpClient http;

    public static void main(String... args) {
        System.exit(new CommandLine(new LoadClient()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (!List.of("seq", "rnd", "bmk", "idle").contains(test)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "unknown test '" + test + "': use seq, rnd, bmk or idle");
        }
        if (test.equals("idle")) {
            out.println("idle: waiting for a shell (test.java exec) or a stop (test.java stop)");
            out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
        if (servers.isEmpty() || models < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "give at least one --server and --models of 1 or more");
        }
        if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--max-error-rate must be from 0 to 1, not " + maxErrorRate);
        }
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        return switch (test) {
            case "seq" -> sequential();
            case "rnd" -> random();
            default -> benchmark();
        };
    }

    /** One request to every model of every server, in order. */
    int sequential() {
        int failed = 0;
        for (int s = 0; s < servers.size(); s++) {
            for (int m = 0; m < models; m++) {
                failed += report(s, m, send(s, m)) ? 0 : 1;
                pause(frequency);
            }
        }
        out.printf("seq: %d requests, %d failed%n", servers.size() * models, failed);
        return verdict(servers.size() * models, failed);
    }

    /** num_requests requests to a random server and model, `frequency` seconds apart. */
    int random() {
        int failed = 0;
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < requests; i++) {
            int s = random.nextInt(servers.size());
            int m = random.nextInt(models);
            failed += report(s, m, send(s, m)) ? 0 : 1;
            pause(frequency);
        }
        out.printf("rnd: %d requests, %d failed%n", requests, failed);
        return verdict(requests, failed);
    }

    /**
     * The exit code of a finished test: 0 when at least one request succeeded and the share of
     * failed ones is within --max-error-rate; otherwise 1, with a line saying why.
     */
    int verdict(long sent, long failed) {
        String why = null;
        if (sent == 0) {
            why = "no request was measured";
        } else if (failed >= sent) {
            why = "no request succeeded (" + failed + " of " + sent + " failed)";
        } else if ((double) failed / sent > maxErrorRate) {
            why = String.format(Locale.ROOT, "%d of %d requests failed (error rate %.4f), more than --max-error-rate %s allows",
                    failed, sent, (double) failed / sent, java.math.BigDecimal.valueOf(maxErrorRate).stripTrailingZeros().toPlainString());
        }
        if (why == null) {
            return 0;
        }
        out.printf("%s %s FAILED: %s%n", test, name, why);
        out.flush();
        return 1;
    }

    private boolean report(int s, int m, Outcome o) {
        out.printf("server %s model%d: %s %.1f ms %s%n", servers.get(s), m, o.status(), o.nanos() / 1e6, o.body());
        out.flush();
        return o.ok();
    }

    record Outcome(String status, long nanos, String body) {
        boolean ok() {
            return status.equals("200");
        }
    }

    /** Sends one request; any failure becomes an outcome named by its status or exception. */
    Outcome send(int server, int model) {
        long start = System.nanoTime();
        try {
            HttpResponse<String> response = http.send(request(server, model), HttpResponse.BodyHandlers.ofString());
            return new Outcome(Integer.toString(response.statusCode()), System.nanoTime() - start, response.body().strip());
        } catch (IOException e) {
            return new Outcome(e.getClass().getSimpleName(), System.nanoTime() - start, String.valueOf(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome("interrupted", System.nanoTime() - start, "");
        }
    }

    private HttpRequest request(int server, int model) {
        URI uri = URI.create(servers.get(server).toString().replaceAll("/+$", "") + "/predictions/model" + model);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMillis((long) (timeout * 1000)));
        if (post) {
            return b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(POST_BODY)).build();
        }
        return b.GET().build();
    }

    /** The benchmark: workers send until the measured duration is over; a reporter prints intervals. */
    int benchmark() throws Exception {
        boolean open = rate > 0;
        Recorder recorder = new Recorder(BenchmarkResult.HIGHEST_MICROS, BenchmarkResult.DIGITS);
        Map<String, LongAdder> errors = new ConcurrentHashMap<>();
        long begin = System.nanoTime();
        long measureFrom = begin + seconds(warmup);
        long measureUntil = measureFrom + seconds(duration);
        AtomicLong tickets = new AtomicLong();
        long periodNanos = open ? (long) (1e9 / rate) : 0;

        out.printf("bmk %s: %s, %d threads%s, %d server(s) x %d models, %.0f s warm-up, %.0f s measured%n", name,
                open ? "open loop" : "closed loop", threads, open ? String.format(Locale.ROOT, ", %.1f requests/s", rate) : "",
                servers.size(), models, warmup, duration);
        out.flush();
        List<Thread> workers = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().name("bmk-" + t).start(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (true) {
                    long due = open ? begin + tickets.getAndIncrement() * periodNanos : System.nanoTime();
                    if (due >= measureUntil) {
                        return;
                    }
                    if (open) {
                        waitUntil(due);
                    }
                    Outcome o = send(random.nextInt(servers.size()), random.nextInt(models));
                    long end = System.nanoTime();
                    if (due >= measureFrom) {
                        recorder.recordValue(Math.max(1, Math.min((end - due) / 1000, BenchmarkResult.HIGHEST_MICROS)));
                        if (!o.ok()) {
                            errors.computeIfAbsent(o.status(), k -> new LongAdder()).increment();
                        }
                    }
                }
            }));
        }

        Histogram total = BenchmarkResult.newHistogram();
        HistogramLogWriter log = null;
        if (results != null) {
            Files.createDirectories(results);
            log = new HistogramLogWriter(results.resolve(name + ".hlog").toFile());
            log.outputLogFormatVersion();
            log.outputStartTime(System.currentTimeMillis() + (measureFrom - System.nanoTime()) / 1_000_000);
            log.outputLegend();
        }
        waitUntil(measureFrom);
        Histogram interval = null;
        List<BenchmarkResult.Interval> intervals = new java.util.ArrayList<>();
        Map<String, Long> errorsBefore = Map.of();
        long intervalStart = System.nanoTime();
        while (intervalStart < measureUntil) {
            waitUntil(Math.min(intervalStart + seconds(this.interval), measureUntil));
            interval = recorder.getIntervalHistogram(interval);
            long now = System.nanoTime();
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
        for (Thread w : workers) {
            w.join();
        }
        total.add(recorder.getIntervalHistogram());

        Map<String, Long> byStatus = snapshot(errors);
        BenchmarkResult result = BenchmarkResult.of(name, open ? "open" : "closed", threads, rate, duration, total,
                count(errors), byStatus, intervals);
        if (results != null) {
            log.close();
            Files.writeString(results.resolve(name + ".json"), result.toLine().substring(BenchmarkResult.PREFIX.length()) + "\n");
        }
        printSummary(result, total);
        out.println(result.toLine());
        out.flush();
        return verdict(result.requests(), result.errors());
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

    /** The original client's progress line: a Python dict with seconds as strings. */
    static String intervalLine(Histogram h, double seconds, long errors) {
        return String.format(Locale.ROOT, "{'pid': %d, 'throughput': %.1f, 'p50': '%.3f', 'p90': '%.3f', 'p95': '%.3f', 'errors': '%d'}",
                ProcessHandle.current().pid(), seconds > 0 ? h.getTotalCount() / seconds : 0.0,
                h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(90) / 1e6, h.getValueAtPercentile(95) / 1e6, errors);
    }

    private void printSummary(BenchmarkResult r, Histogram h) {
        out.printf(Locale.ROOT, "Summary of %s (%s loop, %d threads, %.0f s measured):%n", r.client(), r.mode(), r.threads(), r.durationSeconds());
        out.printf(Locale.ROOT, "   requests %d, errors %d, throughput %.1f requests/s%n", r.requests(), r.errors(), r.throughput());
        out.printf(Locale.ROOT, "   latency (s): p50 %.4f  p90 %.4f  p95 %.4f  p99 %.4f  p99.9 %.4f  max %.4f%n",
                h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(90) / 1e6, h.getValueAtPercentile(95) / 1e6,
                h.getValueAtPercentile(99) / 1e6, h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6);
        out.println("   errors by status: " + (r.errorsByStatus().isEmpty() ? "none" : r.errorsByStatus()));
        if (results != null) {
            out.println("   histogram: " + results.resolve(name + ".hlog") + ", " + results.resolve(name + ".json"));
        }
    }

    private static String json(Object value) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long count(Map<String, LongAdder> errors) {
        return errors.values().stream().mapToLong(LongAdder::sum).sum();
    }

    private static long seconds(double s) {
        return (long) (s * 1e9);
    }

    private static void waitUntil(long nanoTime) {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }

    private static void pause(double seconds) {
        if (seconds > 0) {
            waitUntil(System.nanoTime() + seconds(seconds));
        }
    }
}
