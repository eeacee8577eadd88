//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//DEPS org.hdrhistogram:HdrHistogram:2.2.2
//SOURCES ../server/ModelServer.java ../lib/runtime/LocalRuntime.java ../lib/model/ModelSpec.java ../lib/trace/PrecisionCheck.java ../lib/model/QaCodec.java ../lib/model/QaModel.java ../lib/runtime/Readiness.java ../lib/runtime/ServerEnv.java
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
import java.util.concurrent.atomic.AtomicLong;
import lib.model.ModelSpec;
import lib.trace.PrecisionCheck;
import lib.model.QaCodec;
import lib.model.QaModel;
import lib.runtime.Readiness;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What the benchmarks share: the model server as a process of its own around a measurement, the
 * models they measure (the bundled one, the full-size one made when missing), closed-loop callers
 * recorded in HdrHistogram, and what /proc and /metrics say of a server.
 */
final class BenchSupport {
    private BenchSupport() {
    }

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

    /** A closed-loop run against a server, and the server's CPU time per request over it. */
    record Measured(Result result, double cpuMsPerRequest) {
    }

    /** `callers` closed-loop callers on /predictions/model<random of copies> for `seconds`, with the server's CPU per request. */
    static Measured measure(String url, long pid, int callers, double seconds, int copies) throws Exception {
        long cpu0 = processCpuNanos(pid);
        java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();
        Result r = run("", callers, seconds, () -> {
            calls.incrementAndGet();
            return predict(url, copies);
        });
        return new Measured(r, (processCpuNanos(pid) - cpu0) / 1e6 / calls.get());
    }

    /**
     * The in-process loop: `callers` threads answering the sample pair in this JVM (warm-up 3 s,
     * then `seconds`), with this JVM's CPU per answer over warm-up and measurement alike.
     */
    static Measured inProcess(QaModel m, String name, int callers, double seconds) throws Exception {
        long self = ProcessHandle.current().pid();
        long cpu0 = processCpuNanos(self);
        AtomicLong calls = new AtomicLong();
        Result r = run(name, callers, seconds, () -> {
            calls.incrementAndGet();
            return m.answer(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT, true).text() != null;
        });
        return new Measured(r, (processCpuNanos(self) - cpu0) / 1e6 / calls.get());
    }

    /** The middle value (the upper one of an even count): what a benchmark of rounds reports. */
    static double median(List<Double> values) {
        return values.stream().sorted().toList().get(values.size() / 2);
    }

    /** User and system CPU time of a process so far (all its threads), from /proc. */
    static long processCpuNanos(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // clock ticks of 10 ms
    }

    interface WithServer<T> {
        T run(String url, long pid) throws Exception;
    }

    /**
     * Runs this benchmark again in a JVM with the servers' thread environment (malloc arenas,
     * OpenMP wait policy: lib.runtime.ServerEnv.THREAD_ENV, with the same BENCH_ overrides the server gets)
     * unless it has it already, so that its in-process side and the server differ in HTTP only:
     * glibc and OpenMP read these once, at start. Returns only in the JVM that has it.
     */
    static void withServerThreadEnv(Class<?> main, String... args) throws Exception {
        Map<String, String> wanted = new HashMap<>();
        lib.runtime.ServerEnv.THREAD_ENV.forEach((k, v) -> wanted.put(k, System.getenv().getOrDefault("BENCH_" + k, v)));
        if (wanted.entrySet().stream().allMatch(e -> e.getValue().equals(System.getenv(e.getKey())))) {
            return;
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().putAll(wanted);
        System.exit(pb.start().waitFor());
    }

    /** The thread environment this JVM runs with, as NAME=value words. */
    static String threadEnv() {
        return String.join(" ", lib.runtime.ServerEnv.THREAD_ENV.keySet().stream().map(k -> k + "=" + System.getenv(k)).toList());
    }

    /** The probe port of the server last started (PROBE_PORT). */
    static int probePort;

    /** The server process's main class: bench.JdkProbe adds a JDK HttpServer probe on JDK_PROBE_PORT. */
    static String serverMain = "server.ModelServer";

    /** Runs the model server as its own process (QUIET, 2 predictors per copy unless set) around the work. */
    static <T> T server(Path trace, Map<String, String> settings, WithServer<T> work) throws Exception {
        // a random start: two benchmarks at once must not find each other's server ready
        int port = lib.runtime.LocalRuntime.freePort(18700 + java.util.concurrent.ThreadLocalRandom.current().nextInt(1000), java.util.Set.of());
        probePort = lib.runtime.LocalRuntime.freePort(port + 1, java.util.Set.of(port));
        Path log = Files.createTempFile("bench-server", ".log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), serverMain)
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = new HashMap<>(lib.runtime.ServerEnv.THREAD_ENV); // as every runtime starts it (BENCH_OMP_WAIT_POLICY=ACTIVE: spinning)
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
            // on the probe port: a pooled connection left idle on the main port would count as a client there,
            // and with more connections than workers the server stops computing on request threads
            Readiness.await(Map.of("server", URI.create("http://127.0.0.1:" + probePort + "/health/ready")), Duration.ofSeconds(600),
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

    /**
     * The full-size benchmark model (full, full-int8, full-int8-linear: int8 with float32 embeddings
     * as before, or full-bf16), made with Debian's torch when missing (never committed).
     */
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
