package lib;

import java.util.Map;

/** bma: aggregates the results of finished bmk clients, whatever runtime ran them. */
public final class BenchmarkReport {
    private BenchmarkReport() {
    }

    public static void print(Config config, Map<String, String> outputs) {
        throw CliError.unsupported("bma arrives with issue #5 (load client)");
    }
}
