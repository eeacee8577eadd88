package lib.runtime;

//SOURCES ../cli/CliError.java ../config/Config.java ../image/ModelSet.java

import java.util.ArrayList;
import java.util.List;
import lib.cli.CliError;
import lib.config.Config;
import lib.image.ModelSet;

/**
 * The load client's command line, built from config for every runtime the same way. The client
 * (client/LoadClient.java, or load-client.jar in the test image) takes:
 * <pre>
 *   seq|rnd|bmk|idle --server URL [--server URL]... --models N --name NAME
 *       [--requests N] [--frequency SECONDS]                    (rnd, seq)
 *       [--threads N] [--duration S] [--interval S] [--warmup S] [--rate R] [--post]   (bmk)
 *       [--max-error-rate FRACTION]   (seq, rnd, bmk: exit 1 above it, or when none succeeded)
 *       [--results DIR]
 * </pre>
 * A finished bmk client prints one line starting with {@link BenchmarkResult#PREFIX}, followed by JSON
 * holding its counts, its latency histogram and its intervals, so bma can read results from any
 * runtime's logs. A client's exit code says whether its test passed (see bmk_max_error_rate).
 */
public final class LoadClientArgs {
    private LoadClientArgs() {
    }

    /** Arguments for client `name` running `test` (seq, rnd, bmk, or null for an idle client). */
    public static List<String> args(Config config, String test, List<String> serverUrls, String name, String resultsDir) {
        List<String> args = new ArrayList<>();
        args.add(test == null ? "idle" : test);
        for (String url : serverUrls) {
            args.add("--server");
            args.add(url);
        }
        args.addAll(List.of("--models", Integer.toString(ModelSet.totalCopies(config)), "--name", name,
                "--requests", config.get("num_requests"), "--frequency", config.get("request_frequency"),
                "--threads", config.get("bmk_threads"), "--duration", config.get("bmk_duration"),
                "--interval", config.get("bmk_interval"), "--warmup", config.get("bmk_warmup"),
                "--rate", config.get("bmk_rate"), "--max-error-rate", maxErrorRate(config)));
        if (config.getBool("bmk_post")) {
            args.add("--post");
        }
        if (resultsDir != null) {
            args.addAll(List.of("--results", resultsDir));
        }
        return args;
    }

    /** bmk_max_error_rate, a share of requests: from 0 to 1. */
    static String maxErrorRate(Config config) {
        String value = config.get("bmk_max_error_rate");
        double rate = Double.parseDouble(value);
        if (!(rate >= 0 && rate <= 1)) {
            throw CliError.badInput("bmk_max_error_rate=" + value + " must be from 0 to 1 (a share of the requests)");
        }
        return value;
    }
}
