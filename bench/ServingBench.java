///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//DEPS org.hdrhistogram:HdrHistogram:2.2.2
//SOURCES ../server/ModelServer.java ../lib/LocalRuntime.java ../lib/ModelSpec.java ../lib/PrecisionCheck.java ../lib/QaCodec.java ../lib/QaModel.java ../lib/Readiness.java ../lib/Servers.java
package bench;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import lib.ModelSpec;
import lib.PrecisionCheck;
import lib.QaCodec;
import lib.QaModel;
import lib.Readiness;
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
    static final Path ROOT = Path.of(System.getenv().getOrDefault("JDO_HOME", ".")).toAbsolutePath();
    static final int CORES = Runtime.getRuntime().availableProcessors();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    record Result(String name, long requests, double seconds, Histogram latencies) {
        double throughput() {
            return requests / seconds;
        }

        String row() {
            return String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f |", name, throughput(),
                    latencies.getValueAtPercentile(50) / 1000.0, latencies.getValueAtPercentile(99) / 1000.0);
        }
    }

    public static void main(String... args) throws Exception {
        String mode = args.length > 0 ? args[0] : "ceiling";
        String model = args.length > 1 ? args[1] : "tiny";
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : mode.equals("overload") ? 30 : 20;
        if (mode.equals("precision")) {
            precision(args.length > 2 ? Double.parseDouble(args[2]) : 10);
            return;
        }
        if (mode.equals("forward")) {
            forward(model, args.length > 2 ? Double.parseDouble(args[2]) : 10, args.length > 3 ? Integer.parseInt(args[3]) : 2);
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
                inProcess = run("in-process, " + callers + " callers", callers, seconds,
                        () -> m.answer(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT, true).text() != null);
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

    /**
     * Forwards in-process (tokenize, forward, decode), several models alternated round by round so
     * that a noisy machine treats them alike: 2 callers with a predictor and 1 intra-op thread each,
     * batches of one padded in steps of 16 tokens (the server's defaults on 2 cores).
     */
    static void forward(String models, double seconds, int rounds) throws Exception {
        System.out.printf(Locale.ROOT, "forward, %d cores, %s, graph optimizer %s%n%n", CORES, cpuName(),
                System.getProperty("ai.djl.pytorch.graph_optimizer", "default"));
        // CPU time per request (the caller's thread runs the forward with 1 intra-op thread) is what
        // other work on a shared machine disturbs least; 2 cores / that = requests/s of an idle machine
        System.out.println("| model | round | requests/s | p50 ms | p99 ms | CPU ms/request | 2 cores / CPU ms |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int round = 1; round <= rounds; round++) {
            for (String name : models.split(",")) {
                Path trace = name.startsWith("full") ? fullModel(name) : name.equals("tiny") ? tinyModel() : Path.of(name);
                ModelSpec spec = ModelSpec.ofTrace(trace, "cpu", 1, 1, null);
                try (QaModel m = QaModel.load(spec, 2, Integer.parseInt(System.getenv().getOrDefault("BENCH_BUCKET", "16")))) {
                    m.warmUp();
                    AtomicLong cpuNanos = new AtomicLong();
                    AtomicLong calls = new AtomicLong();
                    QaCodec.Encoded sample = m.codec().encodeTokens(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT);
                    String label = trace.getFileName() + " (" + sample.ids().length + " tokens, padded to "
                            + m.loaded().width(List.of(sample)) + ")";
                    Result r = run(label + " | " + round, 2, seconds, () -> {
                        long before = cpu.getCurrentThreadCpuTime();
                        boolean ok = m.answer(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT, true).text() != null;
                        cpuNanos.addAndGet(cpu.getCurrentThreadCpuTime() - before);
                        calls.incrementAndGet();
                        return ok;
                    });
                    double cpuMs = cpuNanos.get() / 1e6 / calls.get();
                    System.out.printf(Locale.ROOT, "%s %.1f | %.1f |%n", r.row(), cpuMs, CORES * 1000 / cpuMs);
                }
            }
        }
    }

    /**
     * The full-size model in fp32, bf16 and int8: answer agreement with fp32 on models/questions.json,
     * then in-process (2 callers, 2 predictors of 1 intra-op thread) and through the server (8
     * callers; 1 copy, then 4) with full padding (bucket 0) and right-sized batches (bucket 16).
     * CPU ms/request counts the server process's CPU time (or the in-process forwards') over all
     * requests of a run, HTTP included: the figure other work on a shared machine disturbs least.
     */
    static void precision(double seconds) throws Exception {
        Path fp32 = fullModel("full");
        java.util.List<PrecisionCheck.Question> questions = PrecisionCheck.questions(ROOT.resolve(PrecisionCheck.QUESTIONS));
        System.out.println("| precision | agreement with fp32 | path | sequence_bucket | requests/s | p50 ms | p99 ms | RSS MB | CPU ms/request |");
        System.out.println("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (String name : new String[] {"full", "full-bf16", "full-int8"}) {
            Path trace = fullModel(name);
            String precision = name.equals("full") ? "fp32" : name.substring(5);
            String agreement;
            try (QaModel a = QaModel.load(ModelSpec.ofTrace(fp32, "cpu", 1, 1, null), 1);
                 QaModel b = QaModel.load(ModelSpec.ofTrace(trace, "cpu", 1, 1, null), 1)) {
                PrecisionCheck.Result r = PrecisionCheck.compare(a, b, questions);
                agreement = String.format(Locale.ROOT, "%.1f%% (%d of %d)", r.agreementPercent(), r.agreed(), r.total());
            }
            for (int bucket : new int[] {0, 16}) {
                try (QaModel m = QaModel.load(ModelSpec.ofTrace(trace, "cpu", 1, 1, null), 2, bucket)) {
                    m.warmUp();
                    long cpu0 = processCpuNanos(ProcessHandle.current().pid());
                    AtomicLong calls = new AtomicLong();
                    Result r = run("", 2, seconds, () -> {
                        calls.incrementAndGet();
                        return m.answer(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT, true).text() != null;
                    });
                    double cpuMs = (processCpuNanos(ProcessHandle.current().pid()) - cpu0) / 1e6 / calls.get();
                    System.out.println(precisionRow(precision, agreement, "in-process, 2 callers", bucket, r, rssKb(ProcessHandle.current().pid()) / 1024, cpuMs));
                }
            }
            for (String[] setting : new String[][] {{"1", "0"}, {"1", "16"}, {"4", "16"}}) {
                int copies = Integer.parseInt(setting[0]);
                server(trace, Map.of("NUM_MODELS", setting[0], "SEQUENCE_BUCKET", setting[1]), (url, pid) -> {
                    long cpu0 = processCpuNanos(pid);
                    AtomicLong calls = new AtomicLong();
                    Result r = run("", 8, seconds, () -> {
                        calls.incrementAndGet();
                        return predict(url, copies);
                    });
                    double cpuMs = (processCpuNanos(pid) - cpu0) / 1e6 / calls.get();
                    System.out.println(precisionRow(precision, agreement, "server, " + copies + " cop" + (copies == 1 ? "y" : "ies")
                            + ", 8 callers", Integer.parseInt(setting[1]), r, rssKb(pid) / 1024, cpuMs));
                    return null;
                });
            }
        }
    }

    static String precisionRow(String precision, String agreement, String path, int bucket, Result r, long rssMb, double cpuMs) {
        return String.format(Locale.ROOT, "| %s | %s | %s | %d | %.1f | %.1f | %.1f | %d | %.1f |", precision, agreement, path, bucket,
                r.throughput(), r.latencies().getValueAtPercentile(50) / 1000.0, r.latencies().getValueAtPercentile(99) / 1000.0,
                rssMb, cpuMs);
    }

    /** User and system CPU time of a process so far (all its threads), from /proc. */
    static long processCpuNanos(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // clock ticks of 10 ms
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
        server(trace, Map.of("NUM_MODELS", "1"), (url, pid) -> {
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
                String where = p.getKey().startsWith(probeUrl) ? "probe port " : "main port ";
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
                long cpu0 = processCpuNanos(pid);
                AtomicLong calls = new AtomicLong();
                Result r = run("", 8, seconds, () -> {
                    calls.incrementAndGet();
                    return predict(url, 1);
                });
                double cpuMs = (processCpuNanos(pid) - cpu0) / 1e6 / calls.get();
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
                long cpu0 = processCpuNanos(pid);
                AtomicLong calls = new AtomicLong();
                Result r = run("", 8, seconds, () -> {
                    calls.incrementAndGet();
                    return predict(url, 1);
                });
                double cpuMs = (processCpuNanos(pid) - cpu0) / 1e6 / calls.get();
                System.out.printf(Locale.ROOT, "| %d x %d | %s | %.1f | %.1f | %.1f | %.2f | %.1f |%n", workers, Math.max(1, CORES / workers),
                        setting[1], r.throughput(), r.latencies().getValueAtPercentile(50) / 1000.0,
                        r.latencies().getValueAtPercentile(99) / 1000.0, meanBatch(url), cpuMs);
                return null;
            });
        }
    }

    interface WithServer<T> {
        T run(String url, long pid) throws Exception;
    }

    /** The probe port of the server last started (PROBE_PORT). */
    static int probePort;

    /** Runs the model server as its own process (QUIET, 2 predictors per copy unless set) around the work. */
    static <T> T server(Path trace, Map<String, String> settings, WithServer<T> work) throws Exception {
        // a random start: two benchmarks at once must not find each other's server ready
        int port = lib.LocalRuntime.freePort(18700 + java.util.concurrent.ThreadLocalRandom.current().nextInt(1000), java.util.Set.of());
        probePort = lib.LocalRuntime.freePort(port + 1, java.util.Set.of(port));
        Path log = Files.createTempFile("bench-server", ".log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "server.ModelServer")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = new HashMap<>(lib.Servers.THREAD_ENV); // as every runtime starts it (BENCH_OMP_WAIT_POLICY=ACTIVE: spinning)
        env.putAll(Map.of("MODEL_DIR", trace.toString(), "QUIET", "True", "PORT", Integer.toString(port),
                "BIND_ADDRESS", "127.0.0.1", "DRAIN_DELAY", "0",
                "PROBE_PORT", Integer.toString(probePort)));
        System.getenv().forEach((k, v) -> {
            if (k.startsWith("BENCH_")) {
                env.put(k.substring("BENCH_".length()), v);
            }
        });
        env.putAll(settings);
        pb.environment().putAll(env);
        Process server = pb.start();
        try {
            Readiness.await(Map.of("server", URI.create("http://127.0.0.1:" + port + "/health/ready")), Duration.ofSeconds(600),
                    n -> server.isAlive() ? null : "exited: " + log);
            return work.run("http://127.0.0.1:" + port, server.pid());
        } finally {
            server.destroy();
            server.waitFor();
        }
    }

    static boolean predict(String url, int copies) throws Exception {
        int copy = copies == 1 ? 0 : java.util.concurrent.ThreadLocalRandom.current().nextInt(copies);
        return predict(url + "/predictions/model" + copy + "?seq_0=" + q(QaCodec.SAMPLE_QUESTION));
    }

    static boolean predict(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("status " + r.statusCode() + ": " + r.body());
        }
        return true;
    }

    /** Mean requests per forward, from the server's jdo_batch_size histogram. */
    static double meanBatch(String url) throws Exception {
        String text = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        double count = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("jdo_batch_size_sum")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            } else if (line.startsWith("jdo_batch_size_count")) {
                count += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return count == 0 ? 0 : sum / count;
    }

    static String q(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static long rssKb(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

    static String cpuName() throws Exception {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown CPU");
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The full-size benchmark model (full, full-int8 or full-bf16), made with Debian's torch when missing (never committed). */
    static Path fullModel(String name) throws Exception {
        String precision = name.equals("full") ? "fp32" : name.substring("full-".length());
        Path dir = ROOT.resolve("build/bench/full-qa" + (precision.equals("fp32") ? "" : "-" + precision));
        if (!Files.isRegularFile(dir.resolve("metadata.json"))) {
            int rc = new ProcessBuilder("/usr/bin/python3", ROOT.resolve("bench/make_full_model.py").toString(), dir.toString(),
                    "128", precision).inheritIO().start().waitFor();
            if (rc != 0) {
                throw new IllegalStateException("bench/make_full_model.py failed (exit " + rc + "); it needs Debian's python3-torch");
            }
        }
        return dir;
    }

    /** A trace folder of the bundled model, as ./trace.java writes it (metadata.json included). */
    static Path tinyModel() throws Exception {
        Path dir = Files.createTempDirectory("bench-trace");
        Files.copy(ROOT.resolve("models/bundled/tiny-bert-qa.pt"), dir.resolve("tiny-bert-qa_bs1_seq128_pc1_cpu.pt"));
        Files.copy(ROOT.resolve("models/bundled/tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("metadata.json"), "{\"model\": \"tiny-bert-qa\", \"processor\": \"cpu\", \"sequence_length\": 128,"
                + " \"batch_size\": 1, \"file\": \"tiny-bert-qa_bs1_seq128_pc1_cpu.pt\", \"tokenizer\": \"tokenizer.json\"}");
        return dir;
    }

    /** `callers` threads for a warm-up of 3 s, then `seconds` measured. */
    static Result run(String name, int callers, double seconds, Callable<Boolean> call) throws Exception {
        Recorder recorder = new Recorder(3_600_000_000L, 3);
        AtomicLong count = new AtomicLong();
        long warmUntil = System.nanoTime() + 3_000_000_000L;
        long until = warmUntil + (long) (seconds * 1e9);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    while (true) {
                        long start = System.nanoTime();
                        if (start >= until) {
                            return;
                        }
                        call.call();
                        if (start >= warmUntil) {
                            recorder.recordValue((System.nanoTime() - start) / 1000);
                            count.incrementAndGet();
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (Thread w : workers) {
            w.join();
        }
        return new Result(name, count.get(), seconds, recorder.getIntervalHistogram());
    }
}
