package lib.report;

//SOURCES BenchmarkResult.java ../cli/CliError.java ../config/Config.java ../cli/Console.java HtmlReport.java ../config/Names.java ../image/Pack.java

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import lib.cli.CliError;
import lib.cli.Console;
import lib.config.Config;
import lib.config.Names;
import lib.image.Pack;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * bma: aggregates the results of finished bmk clients, whatever runtime ran them. Percentiles come
 * from the merged histograms, so they are exact across all requests of all clients; the original's
 * line (averages of per-client percentiles) is printed too, for continuity.
 */
public final class BenchmarkReport {
    private BenchmarkReport() {
    }

    /** The aggregate of some clients' results. */
    public record Aggregate(List<BenchmarkResult> results, List<String> missing, Histogram merged,
                            long requests, long errors, Map<String, Long> errorsByStatus, double throughputTotal) {

        public double seconds(double percentile) {
            return merged.getValueAtPercentile(percentile) / 1e6;
        }

        /** The original's aggregate: the mean of the clients' percentiles (not a percentile of all requests). */
        public double average(double percentile) {
            return results.stream().mapToDouble(r -> r.latencies().getValueAtPercentile(percentile) / 1e6).average().orElse(0);
        }

        /** The original's `{ 'throughput_total': .., 'p50_avg': .., ... }` line. */
        public String originalLine() {
            return String.format(Locale.ROOT, "{ 'throughput_total': %.1f, 'p50_avg': %.3f, 'p90_avg': %.3f, 'p95_avg': %.3f, 'errors_total': %d }",
                    throughputTotal, average(50), average(90), average(95), errors);
        }
    }

    /** Reads the last result line of each client's output; clients without one are listed as missing. */
    public static Aggregate aggregate(Map<String, String> outputs) {
        List<BenchmarkResult> results = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        Histogram merged = BenchmarkResult.newHistogram();
        Map<String, Long> byStatus = new TreeMap<>();
        long requests = 0;
        long errors = 0;
        double throughput = 0;
        for (Map.Entry<String, String> e : new TreeMap<>(outputs).entrySet()) {
            String line = null;
            for (String l : e.getValue().split("\n")) {
                if (l.startsWith(BenchmarkResult.PREFIX)) {
                    line = l;
                }
            }
            if (line == null) {
                missing.add(e.getKey());
                continue;
            }
            BenchmarkResult r;
            try {
                r = BenchmarkResult.parse(line);
            } catch (IllegalArgumentException damaged) {
                throw CliError.failed(damaged.getMessage());
            }
            results.add(r);
            merged.add(r.latencies());
            requests += r.requests();
            errors += r.errors();
            throughput += r.throughput();
            r.errorsByStatus().forEach((k, v) -> byStatus.merge(k, v, Long::sum));
        }
        return new Aggregate(results, missing, merged, requests, errors, byStatus, throughput);
    }

    public static void print(Config config, Map<String, String> outputs) {
        Aggregate a = aggregate(outputs);
        print(a, new Names(config).resultsDir(), settings(config, a), Console.stdout());
    }

    /** The run's settings for the report: the configuration's, and what the clients say they ran. */
    static Map<String, String> settings(Config config, Aggregate a) {
        Map<String, String> s = new java.util.LinkedHashMap<>();
        s.put("model", config.get("huggingface_model_name") + " (model_source=" + config.get("model_source") + ")");
        s.put("precision", precision(new Names(config).traceDir().resolve(Pack.METADATA)));
        s.put("processor", config.get("processor"));
        s.put("runtime", config.get("runtime"));
        s.put("servers (num_servers)", config.get("num_servers"));
        s.put("model copies per server (num_models)", config.get("num_models"));
        s.put("clients with results", Integer.toString(a.results().size()));
        s.put("mode", a.results().stream().map(r -> r.mode() + " loop").distinct().collect(java.util.stream.Collectors.joining(", ")));
        s.put("threads per client (bmk_threads)", distinct(a, r -> Integer.toString(r.threads())));
        s.put("rate per client (bmk_rate)", distinct(a, r -> r.rate() > 0 ? String.format(Locale.ROOT, "%.1f requests/s", r.rate()) : "0 (closed loop)"));
        s.put("measured duration (bmk_duration)", distinct(a, r -> String.format(Locale.ROOT, "%.0f s", r.durationSeconds())));
        s.put("warm-up, interval", config.get("bmk_warmup") + " s, " + config.get("bmk_interval") + " s");
        s.put("request method", config.getBool("bmk_post") ? "POST" : "GET");
        s.put("bmk_max_error_rate", config.get("bmk_max_error_rate"));
        return s;
    }

    private static String distinct(Aggregate a, java.util.function.Function<BenchmarkResult, String> value) {
        return a.results().stream().map(value).distinct().collect(java.util.stream.Collectors.joining(", "));
    }

    /** The traced model's float type, from the trace step's metadata; "unknown" without it. */
    static String precision(Path metadata) {
        try {
            var outputs = new com.fasterxml.jackson.databind.ObjectMapper().readTree(metadata.toFile()).path("outputs");
            String dtype = outputs.path(0).path("dtype").asText("");
            return dtype.isEmpty() ? "unknown" : dtype + " (traced model outputs)";
        } catch (IOException e) {
            return "unknown (no " + metadata.getFileName() + " from ./trace.java)";
        }
    }

    static void print(Aggregate a, Path resultsDir, PrintStream out) {
        print(a, resultsDir, null, out);
    }

    /** Prints the table; with a results folder writes the merged histogram, and with settings also the HTML report. */
    static void print(Aggregate a, Path resultsDir, Map<String, String> settings, PrintStream out) {
        for (String name : a.missing()) {
            Console.warn("%s has no benchmark result (still running, not a bmk client, or it failed): see ./test.java logs", name);
        }
        if (a.results().isEmpty()) {
            throw CliError.failed("no finished bmk results to aggregate: run ./test.java run bmk first");
        }
        out.println();
        out.printf("Aggregated statistics of %d clients (latencies in seconds)%n", a.results().size());
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("CLIENT", "REQUESTS", "ERRORS", "THROUGHPUT", "P50", "P90", "P95", "P99", "P99.9", "MAX"));
        for (BenchmarkResult r : a.results()) {
            rows.add(row(r.client(), r.requests(), r.errors(), r.throughput(), r.latencies()));
        }
        rows.add(row("all (merged)", a.requests(), a.errors(), a.throughputTotal(), a.merged()));
        Console.table(rows);
        out.println("errors by status: " + (a.errorsByStatus().isEmpty() ? "none" : a.errorsByStatus()));
        if (resultsDir != null) {
            out.println("merged histogram: " + write(a, resultsDir));
            if (settings != null) {
                out.println("report: " + HtmlReport.write(a, settings, resultsDir.resolve("report.html")));
            }
        }
        out.println(a.originalLine());
        out.flush();
    }

    private static List<String> row(String name, long requests, long errors, double throughput, Histogram h) {
        return List.of(name, Long.toString(requests), Long.toString(errors), String.format(Locale.ROOT, "%.1f/s", throughput),
                s(h, 50), s(h, 90), s(h, 95), s(h, 99), s(h, 99.9), String.format(Locale.ROOT, "%.4f", h.getMaxValue() / 1e6));
    }

    private static String s(Histogram h, double percentile) {
        return String.format(Locale.ROOT, "%.4f", h.getValueAtPercentile(percentile) / 1e6);
    }

    /** Writes the merged histogram (HdrHistogram log, microseconds) and a JSON summary; returns the log's path. */
    private static Path write(Aggregate a, Path dir) {
        try {
            Files.createDirectories(dir);
            Path hlog = dir.resolve("bma-merged.hlog");
            try (var stream = new PrintStream(Files.newOutputStream(hlog))) {
                HistogramLogWriter w = new HistogramLogWriter(stream);
                w.outputLogFormatVersion();
                w.outputLegend();
                w.outputIntervalHistogram(a.merged());
            }
            Map<String, Object> summary = new TreeMap<>();
            summary.put("clients", a.results().stream().map(BenchmarkResult::client).toList());
            summary.put("requests", a.requests());
            summary.put("errors", a.errors());
            summary.put("errors_by_status", a.errorsByStatus());
            summary.put("throughput_total", a.throughputTotal());
            for (double p : new double[] {50, 90, 95, 99, 99.9}) {
                summary.put("p" + (p == Math.floor(p) ? Integer.toString((int) p) : Double.toString(p)), a.seconds(p));
            }
            summary.put("max", a.merged().getMaxValue() / 1e6);
            Files.writeString(dir.resolve("bma-summary.json"),
                    new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(summary) + "\n");
            return hlog;
        } catch (IOException e) {
            throw CliError.failed("cannot write results to " + dir + ": " + e.getMessage());
        }
    }
}
