///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//DEPS org.hdrhistogram:HdrHistogram:2.2.2
//SOURCES BenchSupport.java ForwardBench.java JdkProbe.java ../server/ModelServer.java ../lib/runtime/LocalRuntime.java ../lib/model/ModelSpec.java ../lib/trace/PrecisionCheck.java ../lib/model/QaCodec.java ../lib/model/QaModel.java ../lib/runtime/Readiness.java ../lib/runtime/ServerEnv.java
package bench;

import static bench.BenchSupport.*;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import lib.model.ModelSpec;
import lib.trace.PrecisionCheck;
import lib.model.QaCodec;
import lib.model.QaModel;
import lib.runtime.Readiness;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The serving core measured on this machine, with the bundled model (tiny) or the full-size
 * benchmark model (full, full-int8, full-bf16: bench/make_full_model.py, made when missing). Prints Markdown tables for
 * docs/benchmarks.md. The load generator shares the cores with the server: compare ratios.
 *
 *   ./jbang bench/ServingBench.java ceiling  tiny|full [seconds=20]  in-process vs server, equal concurrency
 *   ./jbang bench/ServingBench.java memory   full                    RSS of 1/4/8/16 copies
 *   ./jbang bench/ServingBench.java overload full [seconds=30]       400 connections on 1 copy
 *   ./jbang bench/ServingBench.java batching tiny|full [seconds=20]  max_batch_size 1/4/8, bucket 0/16
 *   ./jbang bench/ServingBench.java threads  tiny|full [seconds=20]  2 workers x 1 intra-op thread vs 1 x 2
 *   ./jbang bench/ServingBench.java precision full [seconds=10]       fp32, bf16, int8: in-process and server,
 *                                   full padding and bucket 16, 1 and 4 copies, RSS, CPU, agreement
 *   ./jbang bench/ServingBench.java forward  m1,m2,.. [seconds=10] [rounds=2]
 *                                   in-process only, 2 callers on 1 intra-op thread each, bucket 16 (BENCH_BUCKET);
 *                                   models by name or trace folder, alternated for rounds
 *
 * Extra server settings go in the environment with a BENCH_ prefix, e.g. BENCH_MAX_QUEUE=50.
 */
public final class ServingBench {
    public static void main(String... args) throws Exception {
        BenchSupport.withServerThreadEnv(ServingBench.class, args);
        String mode = args.length > 0 ? args[0] : "ceiling";
        String model = args.length > 1 ? args[1] : "tiny";
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : mode.equals("overload") ? 30 : 20;
        if (mode.equals("precision")) {
            ForwardBench.precision(args.length > 2 ? Double.parseDouble(args[2]) : 10);
            return;
        }
        if (mode.equals("forward")) {
            ForwardBench.forward(model, args.length > 2 ? Double.parseDouble(args[2]) : 10, args.length > 3 ? Integer.parseInt(args[3]) : 2);
            return;
        }
        Path trace = model.startsWith("full") ? fullModel(model) : tinyModel();
        System.out.printf(Locale.ROOT, "%s, model %s (%s), %d cores, %s%n%n", mode, model, trace, CORES, cpuName());
        switch (mode) {
            case "ceiling" -> ceiling(trace, seconds);
            case "memory" -> memory(trace);
            case "overload" -> overload(trace, seconds);
            case "batching" -> batching(trace, seconds);
            case "threads" -> threads(trace, seconds);
            default -> throw new IllegalArgumentException("mode must be ceiling, memory, overload or batching, not " + mode);
        }
    }

    /** In-process (tokenize, forward, decode on QaModel) against the server process, same callers. */
    static void ceiling(Path trace, double seconds) throws Exception {
        System.out.println("| path | requests/s | p50 ms | p99 ms |");
        System.out.println("| --- | ---: | ---: | ---: |");
        for (int callers : new int[] {2, 8}) {
            ModelSpec spec = ModelSpec.ofTrace(trace, "cpu", 1, 1, null);
            Result inProcess;
            try (QaModel m = QaModel.load(spec, CORES, 16)) {
                m.warmUp();
                inProcess = BenchSupport.inProcess(m, "in-process, " + callers + " callers", callers, seconds).result();
            }
            System.out.println(inProcess.row());
            for (int copies : new int[] {1, 8}) {
                Result http = server(trace, Map.of("NUM_MODELS", Integer.toString(copies)), (url, pid) ->
                        run("server, " + copies + " cop" + (copies == 1 ? "y" : "ies") + ", " + callers + " callers", callers,
                                seconds, () -> predict(url, copies)));
                System.out.printf(Locale.ROOT, "%s server / in-process: %.2f%n", http.row(), http.throughput() / inProcess.throughput());
            }
        }
    }

    /** Resident memory of a server with 1, 4, 8 and 16 copies, after a few requests to each copy. */
    static void memory(Path trace) throws Exception {
        System.out.println("| copies | RSS MB | per extra copy MB |");
        System.out.println("| ---: | ---: | ---: |");
        long first = 0;
        for (int copies : new int[] {1, 4, 8, 16}) {
            long rss = server(trace, Map.of("NUM_MODELS", Integer.toString(copies)), (url, pid) -> {
                for (int i = 0; i < copies * 3; i++) {
                    predict(url + "/predictions/model" + (i % copies) + "?seq_0=" + q(QaCodec.SAMPLE_QUESTION));
                }
                return rssKb(pid) / 1024;
            });
            first = copies == 1 ? rss : first;
            System.out.printf(Locale.ROOT, "| %d | %d | %s |%n", copies, rss, copies == 1 ? "-" : String.format(Locale.ROOT, "%.1f",
                    (rss - first) / (double) (copies - 1)));
        }
    }

    /**
     * 400 connections in closed loop on one copy (a refused client waits as its Retry-After says),
     * while a prober asks /health/live, /health/ready and /metrics every 100 ms on its own connections.
     */
    static void overload(Path trace, double seconds) throws Exception {
        int jdkProbePort = lib.runtime.LocalRuntime.freePort(19800 + java.util.concurrent.ThreadLocalRandom.current().nextInt(100), java.util.Set.of());
        serverMain = "bench.JdkProbe";
        server(trace, Map.of("NUM_MODELS", "1", "JDK_PROBE_PORT", Integer.toString(jdkProbePort)), (url, pid) -> {
            String predictUrl = url + "/predictions/model0?seq_0=" + q(QaCodec.SAMPLE_QUESTION);
            Recorder accepted = new Recorder(3_600_000_000L, 3);
            Recorder refusedLatency = new Recorder(3_600_000_000L, 3);
            AtomicLong ok = new AtomicLong();
            AtomicLong refused = new AtomicLong();
            AtomicLong other = new AtomicLong();
            long until = System.nanoTime() + (long) (seconds * 1e9);
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 400; c++) {
                clients.add(Thread.ofVirtual().start(() -> {
                    HttpRequest r = HttpRequest.newBuilder(URI.create(predictUrl)).timeout(Duration.ofSeconds(120)).build();
                    while (System.nanoTime() < until) {
                        long start = System.nanoTime();
                        int status;
                        long retryAfter;
                        try {
                            HttpResponse<String> answer = HTTP.send(r, HttpResponse.BodyHandlers.ofString());
                            status = answer.statusCode();
                            retryAfter = answer.headers().firstValueAsLong("Retry-After").orElse(1);
                        } catch (Exception e) {
                            other.incrementAndGet();
                            sleep(100);
                            continue;
                        }
                        long micros = (System.nanoTime() - start) / 1000;
                        if (status == 200) {
                            ok.incrementAndGet();
                            accepted.recordValue(micros);
                        } else if (status == 503) {
                            refused.incrementAndGet();
                            refusedLatency.recordValue(micros);
                            sleep(retryAfter * 1000);
                        } else {
                            other.incrementAndGet();
                        }
                    }
                }));
            }
            HttpClient probeClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            Map<String, Recorder> probes = new java.util.LinkedHashMap<>();
            String probeUrl = "http://127.0.0.1:" + probePort;
            for (String path : List.of("/health/live", "/health/ready", "/metrics")) {
                probes.put(probeUrl + path, new Recorder(3_600_000_000L, 3));
                probes.put(url + path, new Recorder(3_600_000_000L, 3));
            }
            String jdkProbeUrl = "http://127.0.0.1:" + jdkProbePort;
            probes.put(jdkProbeUrl + "/health/live", new Recorder(3_600_000_000L, 3));
            Map<String, AtomicLong> probeFailures = new ConcurrentHashMap<>();
            sleep(2000); // let the overload build up
            while (System.nanoTime() < until) {
                for (Map.Entry<String, Recorder> p : probes.entrySet()) {
                    long start = System.nanoTime();
                    try {
                        int status = probeClient.send(HttpRequest.newBuilder(URI.create(p.getKey())).timeout(Duration.ofSeconds(5)).build(),
                                HttpResponse.BodyHandlers.ofString()).statusCode();
                        if (status != 200) {
                            probeFailures.computeIfAbsent(p.getKey(), k -> new AtomicLong()).incrementAndGet();
                        }
                    } catch (Exception e) {
                        probeFailures.computeIfAbsent(p.getKey(), k -> new AtomicLong()).incrementAndGet();
                    }
                    p.getValue().recordValue((System.nanoTime() - start) / 1000);
                }
                sleep(100);
            }
            for (Thread t : clients) {
                t.join();
            }
            System.out.println("| probe | answers | p50 ms | p99 ms | max ms | failed |");
            System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
            for (Map.Entry<String, Recorder> p : probes.entrySet()) {
                Histogram h = p.getValue().getIntervalHistogram();
                String where = p.getKey().startsWith(probeUrl) ? "probe port " : p.getKey().startsWith(jdkProbeUrl) ? "JDK HttpServer " : "main port ";
                System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %d |%n",
                        where + p.getKey().substring(p.getKey().indexOf('/', 8)), h.getTotalCount(),
                        h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0,
                        probeFailures.getOrDefault(p.getKey(), new AtomicLong()).get());
            }
            Histogram a = accepted.getIntervalHistogram();
            Histogram f = refusedLatency.getIntervalHistogram();
            long total = ok.get() + refused.get() + other.get();
            System.out.printf(Locale.ROOT, "%n| requests | answered | refused (503) | refused share | other | answered/s | p50 answered ms "
                    + "| p99 answered ms | p99 refusal ms |%n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |%n"
                    + "| %d | %d | %d | %.2f | %d | %.1f | %.0f | %.0f | %.1f |%n", total, ok.get(), refused.get(),
                    refused.get() / (double) Math.max(1, total), other.get(), ok.get() / seconds, a.getValueAtPercentile(50) / 1000.0,
                    a.getValueAtPercentile(99) / 1000.0, f.getValueAtPercentile(99) / 1000.0);
            return null;
        });
    }

    /** One copy, 8 callers: dynamic batching off and on, full padding and right-sized. */
    static void batching(Path trace, double seconds) throws Exception {
        System.out.println("| max_batch_size | sequence_bucket | requests/s | p50 ms | p99 ms | mean batch | server CPU ms/request |");
        System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        String only = System.getenv("BENCH_ONLY"); // e.g. "1/16,4/16": some settings only
        for (String[] setting : new String[][] {{"1", "0"}, {"4", "0"}, {"8", "0"}, {"1", "16"}, {"4", "16"}, {"8", "16"}}) {
            if (only != null && !List.of(only.split(",")).contains(setting[0] + "/" + setting[1])) {
                continue;
            }
            server(trace, Map.of("NUM_MODELS", "1", "MAX_BATCH_SIZE", setting[0], "SEQUENCE_BUCKET", setting[1]), (url, pid) -> {
                Measured m = measure(url, pid, 8, seconds, 1);
                Result r = m.result();
                double cpuMs = m.cpuMsPerRequest();
                double mean = meanBatch(url);
                System.out.printf(Locale.ROOT, "| %s | %s | %.1f | %.1f | %.1f | %.2f | %.1f |%n", setting[0], setting[1], r.throughput(),
                        r.latencies().getValueAtPercentile(50) / 1000.0, r.latencies().getValueAtPercentile(99) / 1000.0, mean, cpuMs);
                return null;
            });
        }
    }

    /** One copy, 8 callers: forwards side by side on one thread each, or one at a time on all cores. */
    static void threads(Path trace, double seconds) throws Exception {
        System.out.println("| workers x intra-op threads | max_batch_size | requests/s | p50 ms | p99 ms | mean batch | server CPU ms/request |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (String[] setting : new String[][] {{"2", "1"}, {"2", "4"}, {"1", "1"}, {"1", "4"}}) {
            int workers = Integer.parseInt(setting[0]);
            server(trace, Map.of("NUM_MODELS", "1", "PREDICTORS_PER_MODEL", setting[0], "MAX_BATCH_SIZE", setting[1]), (url, pid) -> {
                Measured m = measure(url, pid, 8, seconds, 1);
                Result r = m.result();
                double cpuMs = m.cpuMsPerRequest();
                System.out.printf(Locale.ROOT, "| %d x %d | %s | %.1f | %.1f | %.1f | %.2f | %.1f |%n", workers, Math.max(1, CORES / workers),
                        setting[1], r.throughput(), r.latencies().getValueAtPercentile(50) / 1000.0,
                        r.latencies().getValueAtPercentile(99) / 1000.0, meanBatch(url), cpuMs);
                return null;
            });
        }
    }

}
