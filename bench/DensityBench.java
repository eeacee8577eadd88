///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//SOURCES BenchSupport.java ../lib/trace/ModelVariants.java
package bench;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import lib.trace.ModelVariants;
import lib.model.QaCodec;
import org.HdrHistogram.Histogram;

/**
 * Many distinct models in one server under a memory budget: how many fit per GB, and what a
 * request costs when its model is in memory (hit) or must be loaded first (cold). The models are
 * variants of the bundled model (tiny) or of the full-size benchmark model (full, full-int8; see
 * ServingBench), made once under build/bench/ (never committed); the budget holds `fit` of them.
 *
 *   ./jbang bench/DensityBench.java tiny [models=200] [fit=50] [seconds=20]
 *   ./jbang bench/DensityBench.java full|full-int8 [models=6] [fit=2] [seconds=30]
 *   ./jbang bench/DensityBench.java resident full-int8-linear,full-int8 [models=4] [rounds=2] [seconds=15]
 *
 * Phases, against one server process: hits (2 callers, round robin over `fit` models already in
 * memory), cold (1 caller, round robin over every model: with LRU each request misses), and a
 * skewed mix (2 callers, Zipf s=1 over every model), then the cold round again (does RSS keep
 * growing?). RSS is the server's after each phase.
 *
 * resident: what one more distinct model costs, for each kind in turn (round after round): a
 * server whose budget holds every model loads them one by one (a request each: load, warm-up and
 * a forward), then serves hits over all of them; RSS after the first model and after the last.
 */
public final class DensityBench {
    public static void main(String... args) throws Exception {
        if (args.length > 0 && args[0].equals("resident")) {
            resident(List.of(args.length > 1 ? args[1].split(",") : new String[] {"full-int8-linear", "full-int8"}),
                    args.length > 2 ? Integer.parseInt(args[2]) : 4, args.length > 3 ? Integer.parseInt(args[3]) : 2,
                    args.length > 4 ? Double.parseDouble(args[4]) : 15);
            return;
        }
        String kind = args.length > 0 ? args[0] : "tiny";
        boolean tiny = kind.equals("tiny");
        int models = args.length > 1 ? Integer.parseInt(args[1]) : tiny ? 200 : 6;
        int fit = args.length > 2 ? Integer.parseInt(args[2]) : tiny ? 50 : 2;
        double seconds = args.length > 3 ? Double.parseDouble(args[3]) : tiny ? 20 : 30;
        Path base = tiny ? BenchSupport.tinyModel() : BenchSupport.fullModel(kind);
        List<Path> variants = variants(base, kind, models);
        long bytes = Files.size(base.resolve(String.valueOf(lib.model.ModelSpec.metadata(base).get("file"))));
        long budget = fit * bytes + bytes / 2;
        System.out.printf(Locale.ROOT, "density, %s: %d distinct models of %.1f MiB, budget %.1f MiB (%d fit), %d cores, %s%n%n",
                kind, models, bytes / 1048576.0, budget / 1048576.0, fit, BenchSupport.CORES, BenchSupport.cpuName());
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < variants.size(); i++) {
            entries.add("v" + i + "=" + variants.get(i));
        }
        Map<String, String> env = new HashMap<>(Map.of("NUM_MODELS", "1", "MODEL_NAME", "base", "MODELS", String.join(",", entries),
                "MODEL_MEMORY_BUDGET", Long.toString(budget), "PREDICTORS_PER_MODEL", "1", "MAX_QUEUE", "1000"));
        BenchSupport.server(base, env, (url, pid) -> {
            List<String> rows = new ArrayList<>();
            // hits: the first `fit` models, loaded by a first round, then served from memory
            for (int i = 0; i < fit; i++) {
                BenchSupport.predict(url + "/predictions/v" + i + "?seq_0=" + BenchSupport.q(QaCodec.SAMPLE_QUESTION));
            }
            AtomicInteger next = new AtomicInteger();
            BenchSupport.Result hits = BenchSupport.run("hits", 2, seconds, () -> ask(url, next.getAndIncrement() % fit));
            rows.add(row("hits: round robin over " + fit + " models in memory", hits, url, pid));
            // cold: round robin over every model, each one least recently used when its turn comes
            int coldRequests = tiny ? Math.min(models, 200) : Math.min(models, 8);
            Histogram cold = new Histogram(3_600_000_000L, 3);
            long start = System.nanoTime();
            for (int i = 0; i < coldRequests; i++) {
                long t = System.nanoTime();
                ask(url, (fit + i) % models);
                cold.recordValue((System.nanoTime() - t) / 1000);
            }
            rows.add(row("cold: round robin over all " + models + " models (each a miss)",
                    new BenchSupport.Result("cold", coldRequests, (System.nanoTime() - start) / 1e9, cold), url, pid));
            double[] before = hitsAndMisses(url);
            BenchSupport.Result mix = BenchSupport.run("mix", 2, seconds, () -> ask(url, zipf(models)));
            double[] after = hitsAndMisses(url);
            double hitShare = (after[0] - before[0]) / Math.max(1, after[0] - before[0] + after[1] - before[1]);
            rows.add(row(String.format(Locale.ROOT, "mix: Zipf s=1 over %d models (%.0f%% hits)", models, 100 * hitShare), mix, url, pid));
            // the cold round once more: RSS that keeps growing would be a leak, RSS that levels off the allocator's reserve
            Histogram again = new Histogram(3_600_000_000L, 3);
            start = System.nanoTime();
            for (int i = 0; i < coldRequests; i++) {
                long t = System.nanoTime();
                ask(url, (fit + i) % models);
                again.recordValue((System.nanoTime() - t) / 1000);
            }
            rows.add(row("cold again: the same round robin", new BenchSupport.Result("cold", coldRequests,
                    (System.nanoTime() - start) / 1e9, again), url, pid));
            System.out.println("| phase | requests/s | p50 ms | p99 ms | models in memory | RSS MiB | in memory per GB RSS | served per GB RSS |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            rows.forEach(System.out::println);
            return null;
        });
    }

    static void resident(List<String> kinds, int models, int rounds, double seconds) throws Exception {
        System.out.printf(Locale.ROOT, "resident: %s, 1 + %d distinct models each, %d rounds, %d cores, %s%n%n",
                String.join(" vs ", kinds), models, rounds, BenchSupport.CORES, BenchSupport.cpuName());
        List<String> rows = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            for (String kind : kinds) {
                Path base = BenchSupport.fullModel(kind);
                List<Path> variants = variants(base, kind, models);
                long bytes = Files.size(base.resolve(String.valueOf(lib.model.ModelSpec.metadata(base).get("file"))));
                List<String> entries = new ArrayList<>();
                for (int i = 0; i < variants.size(); i++) {
                    entries.add("v" + i + "=" + variants.get(i));
                }
                Map<String, String> env = new HashMap<>(Map.of("NUM_MODELS", "1", "MODEL_NAME", "base", "MODELS", String.join(",", entries),
                        "MODEL_MEMORY_BUDGET", Long.toString((models + 2) * bytes), "PREDICTORS_PER_MODEL", "1", "MAX_QUEUE", "1000"));
                int r = round;
                rows.add(BenchSupport.server(base, env, (url, pid) -> {
                    BenchSupport.predict(url + "/predictions/base?seq_0=" + BenchSupport.q(QaCodec.SAMPLE_QUESTION));
                    double first = BenchSupport.rssKb(pid) / 1024.0;
                    Histogram cold = new Histogram(3_600_000_000L, 3);
                    for (int i = 0; i < models; i++) {
                        long t = System.nanoTime();
                        ask(url, i);
                        cold.recordValue((System.nanoTime() - t) / 1000);
                    }
                    double all = BenchSupport.rssKb(pid) / 1024.0;
                    AtomicInteger next = new AtomicInteger();
                    BenchSupport.Result hits = BenchSupport.run("hits", 2, seconds, () -> ask(url, next.getAndIncrement() % models));
                    return String.format(Locale.ROOT, "| %s | %d | %.1f | %.0f | %.0f | %.1f | %.0f | %.1f | %.1f | %.1f |", kind, r,
                            bytes / 1048576.0, first, all, (all - first) / models, cold.getValueAtPercentile(50) / 1000.0,
                            hits.latencies().getValueAtPercentile(50) / 1000.0, hits.latencies().getValueAtPercentile(99) / 1000.0,
                            hits.throughput());
                }));
                System.out.println(rows.get(rows.size() - 1));
            }
        }
        System.out.println();
        System.out.println("| model | round | file MiB (budget counts) | RSS MiB, 1 model | RSS MiB, 1 + " + models
                + " | RSS MiB per extra model | first request ms (load + forward), p50 | hit p50 ms | hit p99 ms | hits/s (2 callers) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);
    }

    static boolean ask(String url, int model) throws Exception {
        return BenchSupport.predict(url + "/predictions/v" + model + "?seq_0=" + BenchSupport.q(QaCodec.SAMPLE_QUESTION));
    }

    /** A model index with probability proportional to 1/(rank+1). */
    static int zipf(int n) {
        double total = 0;
        for (int i = 1; i <= n; i++) {
            total += 1.0 / i;
        }
        double r = ThreadLocalRandom.current().nextDouble() * total;
        for (int i = 1; i <= n; i++) {
            r -= 1.0 / i;
            if (r <= 0) {
                return i - 1;
            }
        }
        return n - 1;
    }

    static String row(String phase, BenchSupport.Result r, String url, long pid) throws Exception {
        int loaded = 0;
        for (String line : get(url + "/models").split("\\{")) {
            loaded += line.contains("\"status\":\"ready\"") ? 1 : 0;
        }
        double rssMib = BenchSupport.rssKb(pid) / 1024.0;
        int total = get(url + "/models").split("\"id\"").length - 1;
        return String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %d | %.0f | %.1f | %.1f |", phase, r.throughput(),
                r.latencies().getValueAtPercentile(50) / 1000.0, r.latencies().getValueAtPercentile(99) / 1000.0, loaded, rssMib,
                loaded / (rssMib / 1024), total / (rssMib / 1024));
    }

    static double[] hitsAndMisses(String url) throws Exception {
        double[] hm = new double[2];
        for (String line : get(url + "/metrics").split("\n")) {
            if (line.startsWith("jdo_model_requests_total{")) {
                double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                hm[line.contains("result=\"hit\"") ? 0 : 1] += v;
            }
        }
        return hm;
    }

    static String get(String url) throws Exception {
        return BenchSupport.HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Variant i of the base model in build/bench/variants-<kind>/v<i>, made once; distinct weights (ModelVariants). */
    static List<Path> variants(Path base, String kind, int n) throws Exception {
        List<Path> dirs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path dir = BenchSupport.ROOT.resolve("build/bench/variants-" + kind + "/v" + i);
            if (!Files.isRegularFile(dir.resolve("metadata.json"))) {
                ModelVariants.write(base, dir, "v" + i, 1 + (i + 1) / 1000f);
            }
            dirs.add(dir);
        }
        return dirs;
    }
}
