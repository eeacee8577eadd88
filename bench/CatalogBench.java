///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//SOURCES BenchSupport.java DensityBench.java ../lib/store/Placement.java ../client/Popularity.java
package bench;

import client.Popularity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import lib.model.QaCodec;
import lib.store.Placement;
import org.HdrHistogram.Histogram;

/**
 * A catalog of many distinct models over two servers, each with a budget holding a tenth of
 * them: placement (each model to one of its model_replicas preferred servers, lib/store/Placement)
 * against random routing, with Zipf (s = 1) and uniform popularity. Each server serves every
 * model (MODELS lists them all, as a catalog does); the models are variants of the bundled model
 * (DensityBench's, under build/bench/, never committed).
 *
 *   ./jbang bench/CatalogBench.java [models=1000] [seconds=20] [replicas=1] [callers=2] [rounds=1]
 *   ./jbang bench/CatalogBench.java prepare MODELS     (the variants only)
 *
 * Phases take turns (placement, random) for each popularity, `rounds` times, each after a warm-up
 * of `seconds`/2 (the caches filled by the phase before are the next one's start). A request is a
 * hit or a cold load by the servers' own count (jdo_model_requests_total{result}), and its latency
 * is counted as a cold load's when its answer says so (X-Model-Load: cold); the servers know their
 * place (SERVER_INDEX of NUM_SERVERS, MODEL_REPLICAS) and count preferred and foreign requests.
 */
public final class CatalogBench {
    record Server(String url, long pid) {
    }

    public static void main(String... args) throws Exception {
        if (args.length > 0 && args[0].equals("prepare")) { // only the variants, e.g. at low priority before taking the lock
            DensityBench.variants(BenchSupport.tinyModel(), "tiny", Integer.parseInt(args[1]));
            return;
        }
        int models = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 20;
        int replicas = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int callers = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        int fit = Math.max(1, models / 10);
        Path base = BenchSupport.tinyModel();
        List<Path> variants = DensityBench.variants(base, "tiny", models);
        long bytes = Files.size(base.resolve(String.valueOf(lib.model.ModelSpec.metadata(base).get("file"))));
        long budget = fit * bytes + bytes / 2;
        System.out.printf(Locale.ROOT, "catalog: %d distinct models of %.1f MiB, 2 servers, each a budget of %.1f MiB (%d fit), "
                + "model_replicas=%d, %d callers, %d cores, %s%n%n", models, bytes / 1048576.0, budget / 1048576.0, fit, replicas,
                callers, BenchSupport.CORES, BenchSupport.cpuName());
        List<String> entries = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < variants.size(); i++) {
            entries.add("v" + i + "=" + variants.get(i));
            names.add("v" + i);
        }
        Map<String, String> env = new HashMap<>(Map.of("NUM_MODELS", "1", "MODEL_NAME", "base", "MODELS", String.join(",", entries),
                "MODEL_MEMORY_BUDGET", Long.toString(budget), "PREDICTORS_PER_MODEL", "1", "MAX_QUEUE", "1000",
                "NUM_SERVERS", "2", "MODEL_REPLICAS", Integer.toString(replicas)));
        Map<String, String> env0 = new HashMap<>(env);
        env0.put("SERVER_INDEX", "0");
        Map<String, String> env1 = new HashMap<>(env);
        env1.put("SERVER_INDEX", "1");
        BenchSupport.server(base, env0, (url0, pid0) -> BenchSupport.server(base, env1, (url1, pid1) -> {
            List<Server> servers = List.of(new Server(url0, pid0), new Server(url1, pid1));
            List<String> rows = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                for (double skew : new double[] {1.0, 0.0}) {
                    for (boolean placement : new boolean[] {true, false}) {
                        rows.add(phase(servers, names, skew, placement, replicas, fit, callers, seconds));
                        System.out.println(rows.getLast());
                    }
                }
            }
            System.out.println();
            System.out.println("| popularity | routing | requests/s | hit ratio (servers) | hit ratio (answers) | foreign share (servers) "
                    + "| hit p50 ms | hit p99 ms | cold p50 ms | cold p99 ms | models in memory | RSS MiB (both) | models in memory per GB RSS |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            rows.forEach(System.out::println);
            return null;
        }));
    }

    /** One phase: a warm-up of seconds/2, then `seconds` measured. */
    static String phase(List<Server> servers, List<String> names, double skew, boolean placement, int replicas, int fit, int callers,
                        double seconds) throws Exception {
        Popularity popularity = new Popularity(names.size(), skew);
        Histogram hits = new Histogram(3_600_000_000L, 3);
        Histogram cold = new Histogram(3_600_000_000L, 3);
        AtomicLong requests = new AtomicLong();
        long warmUntil = System.nanoTime() + (long) (seconds / 2 * 1e9);
        long until = warmUntil + (long) (seconds * 1e9);
        double[][] before = new double[2][];
        double[][] placedBefore = new double[2][];
        List<Thread> workers = new ArrayList<>();
        Object started = new Object();
        for (int t = 0; t < callers; t++) {
            SplittableRandom random = new SplittableRandom(31L * t + (placement ? 1 : 2));
            workers.add(Thread.ofPlatform().start(() -> {
                boolean measuring = false;
                try {
                    while (true) {
                        long start = System.nanoTime();
                        if (start >= until) {
                            return;
                        }
                        if (!measuring && start >= warmUntil) {
                            measuring = true;
                            synchronized (started) {
                                if (before[0] == null) {
                                    before[0] = DensityBench.hitsAndMisses(servers.get(0).url());
                                    before[1] = DensityBench.hitsAndMisses(servers.get(1).url());
                                    placedBefore[0] = preferredAndForeign(servers.get(0).url());
                                    placedBefore[1] = preferredAndForeign(servers.get(1).url());
                                }
                            }
                        }
                        int m = popularity.pick(random);
                        int s = placement ? Placement.preferred(names.get(m), 2, replicas)[random.nextInt(Math.min(2, replicas))]
                                : random.nextInt(2);
                        boolean hit = !coldLoad(servers.get(s).url() + "/predictions/" + names.get(m) + "?seq_0="
                                + BenchSupport.q(QaCodec.SAMPLE_QUESTION));
                        if (measuring) {
                            long micros = (System.nanoTime() - start) / 1000;
                            synchronized (hits) {
                                (hit ? hits : cold).recordValue(micros);
                            }
                            requests.incrementAndGet();
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
        double serverHits = 0;
        double serverAll = 0;
        double foreign = 0;
        int loaded = 0;
        double rssMib = 0;
        for (int s = 0; s < 2; s++) {
            double[] after = DensityBench.hitsAndMisses(servers.get(s).url());
            foreign += preferredAndForeign(servers.get(s).url())[1] - placedBefore[s][1];
            serverHits += after[0] - before[s][0];
            serverAll += after[0] - before[s][0] + after[1] - before[s][1];
            for (String line : DensityBench.get(servers.get(s).url() + "/models").split("\\{")) {
                loaded += line.contains("\"status\":\"ready\"") ? 1 : 0;
            }
            rssMib += BenchSupport.rssKb(servers.get(s).pid()) / 1024.0;
        }
        return String.format(Locale.ROOT, "| %s | %s | %.1f | %.3f | %.3f | %.3f | %.1f | %.1f | %.1f | %.1f | %d | %.0f | %.0f |",
                skew == 0 ? "uniform" : "Zipf s=" + skew, placement ? "placement" : "random", requests.get() / seconds,
                serverHits / Math.max(1, serverAll), (double) hits.getTotalCount() / Math.max(1, requests.get()),
                foreign / Math.max(1, serverAll),
                hits.getValueAtPercentile(50) / 1000.0, hits.getValueAtPercentile(99) / 1000.0,
                cold.getValueAtPercentile(50) / 1000.0, cold.getValueAtPercentile(99) / 1000.0, loaded, rssMib,
                loaded / (rssMib / 1024));
    }

    /** Asks for one prediction; whether its answer says it waited for its model's load (X-Model-Load: cold). */
    static boolean coldLoad(String url) throws Exception {
        java.net.http.HttpResponse<String> r = BenchSupport.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("status " + r.statusCode() + ": " + r.body());
        }
        return r.headers().firstValue("X-Model-Load").orElse("").equals("cold");
    }

    /** The server's preferred and foreign requests so far (jdo_placement_requests_total, all models). */
    static double[] preferredAndForeign(String url) throws Exception {
        double[] counts = new double[2];
        for (String line : DensityBench.get(url + "/metrics").split("\n")) {
            if (line.startsWith("jdo_placement_requests_total{")) {
                counts[line.contains("placement=\"preferred\"") ? 0 : 1] += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return counts;
    }
}
