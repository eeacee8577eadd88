///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//DEPS org.hdrhistogram:HdrHistogram:2.2.2
//SOURCES ../server/ModelServer.java ../lib/*.java
package bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import lib.Models;
import lib.QaCodec;
import lib.Readiness;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The server's overhead: the same answers to the original's question on the bundled model,
 * (1) called in-process on a Models.QaModel (the ceiling: tokenize, forward, decode, no HTTP), and
 * (2) over HTTP against the model server running as its own process with one model copy, each with
 * `threads` concurrent callers for `seconds` after a warm-up. Prints requests/s, p50 and p99 of
 * both and their ratio.
 *
 *   ./jbang bench/ServerBench.java [threads=2] [seconds=20]
 */
public final class ServerBench {
    record Result(String name, long requests, double seconds, Histogram latencies) {
        double throughput() {
            return requests / seconds;
        }

        String row() {
            return String.format(Locale.ROOT, "| %s | %.1f | %.2f | %.2f |", name, throughput(),
                    latencies.getValueAtPercentile(50) / 1000.0, latencies.getValueAtPercentile(99) / 1000.0);
        }
    }

    public static void main(String... args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 20;
        Path root = Path.of(System.getenv().getOrDefault("JDO_HOME", ".")).toAbsolutePath();
        Path trace = traceFolder(root);

        Models.Spec spec = Models.specOf(trace, "cpu", Math.max(1, Runtime.getRuntime().availableProcessors() / threads), 1, null);
        Result inProcess;
        try (Models.QaModel model = Models.load(spec, threads)) {
            model.warmUp();
            inProcess = run("in-process (Models.QaModel)", threads, seconds,
                    () -> model.answer(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT, true).text());
        }

        int port = lib.LocalRuntime.freePort(18700, java.util.Set.of());
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "server.ModelServer")
                .redirectErrorStream(true).redirectOutput(Files.createTempFile("bench-server", ".log").toFile());
        pb.environment().putAll(java.util.Map.of("MODEL_DIR", trace.toString(), "NUM_MODELS", "1", "QUIET", "True",
                "PORT", Integer.toString(port), "BIND_ADDRESS", "127.0.0.1", "PREDICTORS_PER_MODEL", Integer.toString(threads)));
        Process server = pb.start();
        Result http;
        try {
            Readiness.await(java.util.Map.of("server", URI.create("http://127.0.0.1:" + port + "/health/ready")),
                    Duration.ofSeconds(120), n -> server.isAlive() ? null : "exited");
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String url = "http://127.0.0.1:" + port + "/predictions/model0?seq_0="
                    + java.net.URLEncoder.encode(QaCodec.SAMPLE_QUESTION, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).build();
            http = run("HTTP (model server, 1 copy)", threads, seconds, () -> {
                HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("status " + r.statusCode());
                }
                return r.body();
            });
        } finally {
            server.destroy();
            server.waitFor();
        }
        System.out.printf(Locale.ROOT, "%n%d threads, %.0f s each, bundled model, sequence length %d, %d cores%n%n", threads, seconds,
                spec.sequenceLength(), Runtime.getRuntime().availableProcessors());
        System.out.println("| path | requests/s | p50 ms | p99 ms |");
        System.out.println("| --- | ---: | ---: | ---: |");
        System.out.println(inProcess.row());
        System.out.println(http.row());
        System.out.printf(Locale.ROOT, "%nHTTP / in-process throughput: %.2f%n", http.throughput() / inProcess.throughput());
    }

    /** A trace folder of the bundled model, as ./trace.java writes it (metadata.json included). */
    static Path traceFolder(Path root) throws Exception {
        Path dir = Files.createTempDirectory("bench-trace");
        Files.copy(root.resolve("models/bundled/tiny-bert-qa.pt"), dir.resolve("tiny-bert-qa_bs1_seq128_pc1_cpu.pt"));
        Files.copy(root.resolve("models/bundled/tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("metadata.json"), "{\"model\": \"tiny-bert-qa\", \"processor\": \"cpu\", \"sequence_length\": 128,"
                + " \"batch_size\": 1, \"file\": \"tiny-bert-qa_bs1_seq128_pc1_cpu.pt\", \"tokenizer\": \"tokenizer.json\"}");
        return dir;
    }

    /** `threads` callers for a warm-up of 3 s, then `seconds` measured. */
    static Result run(String name, int threads, double seconds, Callable<String> call) throws Exception {
        Recorder recorder = new Recorder(3_600_000_000L, 3);
        AtomicLong count = new AtomicLong();
        long warmUntil = System.nanoTime() + 3_000_000_000L;
        long until = warmUntil + (long) (seconds * 1e9);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
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
