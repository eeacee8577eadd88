package lib;

import java.util.ArrayList;
import java.util.List;

/**
 * The load client's command line, built from config for every runtime the same way. The client
 * (client/LoadClient.java, or load-client.jar in the test image) takes:
 * <pre>
 *   seq|rnd|bmk|idle --server URL [--server URL]... --models N --name NAME
 *       [--requests N] [--frequency SECONDS]                    (rnd, seq)
 *       [--threads N] [--duration S] [--interval S] [--warmup S] [--rate R] [--post]   (bmk)
 *       [--results DIR]
 * </pre>
 * A finished bmk client prints one line starting with {@link #RESULT_PREFIX}, followed by JSON
 * holding its counts and its latency histogram, so bma can read results from any runtime's logs.
 */
public final class TestClients {
    public static final String RESULT_PREFIX = BenchmarkResult.PREFIX;

    private TestClients() {
    }

    /** Arguments for client `name` running `test` (seq, rnd, bmk, or null for an idle client). */
    public static List<String> args(Config config, String test, List<String> serverUrls, String name, String resultsDir) {
        List<String> args = new ArrayList<>();
        args.add(test == null ? "idle" : test);
        for (String url : serverUrls) {
            args.add("--server");
            args.add(url);
        }
        args.addAll(List.of("--models", config.get("num_models"), "--name", name,
                "--requests", config.get("num_requests"), "--frequency", config.get("request_frequency"),
                "--threads", config.get("bmk_threads"), "--duration", config.get("bmk_duration"),
                "--interval", config.get("bmk_interval"), "--warmup", config.get("bmk_warmup"),
                "--rate", config.get("bmk_rate")));
        if (config.getBool("bmk_post")) {
            args.add("--post");
        }
        if (resultsDir != null) {
            args.addAll(List.of("--results", resultsDir));
        }
        return args;
    }
}
