package lib.report;

//DEPS org.knowm.xchart:xchart:4.0.3
//SOURCES BenchmarkReport.java BenchmarkResult.java ../cli/CliError.java

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import lib.cli.CliError;
import org.HdrHistogram.Histogram;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;

/**
 * bma's report page, results/report.html: one self-contained HTML file (plots as inline PNG data
 * URIs drawn by XChart, no script, no outside resource) with the run's settings, the summary table,
 * the latency percentile distribution per client and merged (log scale from p50 to p99.99, as
 * HdrHistogram plots it), throughput and p50/p99 over time per client from the clients' progress
 * intervals, and the errors over time and by status.
 */
public final class HtmlReport {
    static {
        // charts are drawn off screen: no display is needed, nor wanted
        System.setProperty("java.awt.headless", "true");
    }

    /** The x axis of the percentile plot is 1 / (1 - percentile): p50 at 2, p99 at 100, p99.99 at 10,000. */
    static final double FROM = 2;
    static final double TO = 10_000;
    static final int WIDTH = 960;
    static final int HEIGHT = 440;

    private HtmlReport() {
    }

    /** Writes the page for the aggregate `a`, with `settings` (name to value, in order) as the run's settings. */
    public static Path write(BenchmarkReport.Aggregate a, Map<String, String> settings, Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, html(a, settings));
            return file;
        } catch (IOException | UncheckedIOException e) {
            throw CliError.failed("cannot write the report " + file + ": " + e.getMessage());
        }
    }

    static String html(BenchmarkReport.Aggregate a, Map<String, String> settings) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>Benchmark report: ").append(a.results().size()).append(" clients</title>\n")
                .append("<style>\n")
                .append("body { font-family: sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }\n")
                .append("table { border-collapse: collapse; margin: 0.5em 0 1.5em; }\n")
                .append("th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }\n")
                .append("th:first-child, td:first-child { text-align: left; }\n")
                .append("tr.merged td { font-weight: bold; }\ntable.settings td { text-align: left; }\n")
                .append("figure { margin: 1em 0 2em; } img { max-width: 100%; height: auto; border: 1px solid #eee; }\n")
                .append("figcaption { color: #555; font-size: 0.9em; }\n.warn { color: #a40; }\n")
                .append("</style>\n</head>\n<body>\n");
        b.append("<h1>Benchmark report</h1>\n<p>Written by <code>./test.java run bma</code> at ")
                .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(Instant.now().atOffset(ZoneOffset.UTC).withNano(0)))
                .append(" UTC from the results of ").append(a.results().size()).append(" finished bmk clients.")
                .append(" Latencies count from when a request was due (open loop) or sent (closed loop).</p>\n");
        for (String name : a.missing()) {
            b.append("<p class=\"warn\">").append(escape(name)).append(" has no benchmark result (still running, not a bmk client,"
                    + " or it failed) and is not in this report.</p>\n");
        }

        b.append("<h2 id=\"settings\">Settings</h2>\n<table class=\"settings\">\n");
        settings.forEach((k, v) -> b.append("<tr><th>").append(escape(k)).append("</th><td>").append(escape(v)).append("</td></tr>\n"));
        b.append("</table>\n<p>Clients, mode, threads, rate and duration are what the clients report; the rest is the"
                + " configuration (with its -D overrides) when bma ran.</p>\n");

        b.append("<h2 id=\"summary\">Summary</h2>\n");
        summary(b, a);

        b.append("<h2 id=\"latency\">Latency percentile distribution</h2>\n");
        figure(b, percentiles(a), "latency percentile distribution",
                "Latency at each percentile from p50 to p99.99, per client and merged over all requests (exact: the"
                        + " clients' histograms are added). The x axis is logarithmic in 1/(1-percentile), as HdrHistogram plots it.");

        boolean intervals = a.results().stream().anyMatch(r -> !r.intervals().isEmpty());
        b.append("<h2 id=\"over-time\">Over time</h2>\n");
        if (intervals) {
            figure(b, throughput(a), "throughput over time",
                    "Requests completed per second in each progress interval (bmk_interval), per client; failed ones included.");
            figure(b, latencyOverTime(a), "p50 and p99 over time",
                    "Median (solid) and 99th percentile (dashed) latency of the requests completed in each interval, per client.");
        } else {
            b.append("<p>These results carry no progress intervals (written by an older client), so there are no plots over time.</p>\n");
        }

        b.append("<h2 id=\"errors\">Errors</h2>\n");
        if (a.errors() == 0) {
            b.append("<p>No errors: every measured request succeeded.</p>\n");
        } else {
            b.append("<p>").append(a.errors()).append(" of ").append(a.requests()).append(" requests failed: ")
                    .append(escape(a.errorsByStatus().toString())).append(".</p>\n");
            if (intervals) {
                figure(b, errorsOverTime(a), "errors over time",
                        "Failed requests per interval, by HTTP status or exception, summed over the clients' intervals of the same index.");
            }
            figure(b, errorsByStatus(a), "errors by status", "Failed requests by HTTP status or exception, per client.");
        }
        b.append("</body>\n</html>\n");
        return b.toString();
    }

    private static void summary(StringBuilder b, BenchmarkReport.Aggregate a) {
        b.append("<table>\n<tr><th>client</th><th>mode</th><th>requests</th><th>errors</th><th>throughput (/s)</th>");
        for (String p : List.of("p50", "p90", "p95", "p99", "p99.9", "p99.99", "max")) {
            b.append("<th>").append(p).append(" (ms)</th>");
        }
        b.append("</tr>\n");
        for (BenchmarkResult r : a.results()) {
            row(b, "", r.client(), r.mode() + (r.rate() > 0 ? String.format(Locale.ROOT, ", %.1f/s", r.rate()) : "") + ", "
                    + r.threads() + " threads", r.requests(), r.errors(), r.throughput(), r.latencies());
        }
        row(b, " class=\"merged\"", "all (merged)", "", a.requests(), a.errors(), a.throughputTotal(), a.merged());
        b.append("</table>\n<p>Errors by status: ").append(a.errorsByStatus().isEmpty() ? "none" : escape(a.errorsByStatus().toString()))
                .append("</p>\n");
    }

    private static void row(StringBuilder b, String attributes, String name, String mode, long requests, long errors,
                            double throughput, Histogram h) {
        b.append("<tr").append(attributes).append("><td>").append(escape(name)).append("</td><td>").append(escape(mode))
                .append("</td><td>").append(requests).append("</td><td>").append(errors).append("</td><td>")
                .append(String.format(Locale.ROOT, "%.1f", throughput)).append("</td>");
        for (double p : new double[] {50, 90, 95, 99, 99.9, 99.99}) {
            b.append("<td>").append(millis(h.getValueAtPercentile(p))).append("</td>");
        }
        b.append("<td>").append(millis(h.getMaxValue())).append("</td></tr>\n");
    }

    private static String millis(long micros) {
        return String.format(Locale.ROOT, "%.3f", micros / 1000.0);
    }

    static XYChart percentiles(BenchmarkReport.Aggregate a) {
        XYChart chart = xy("Latency by percentile", "percentile", "latency (ms)");
        chart.getStyler().setXAxisLogarithmic(true).setXAxisMin(FROM).setXAxisMax(TO)
                .setXAxisTickLabelsFormattingFunction(HtmlReport::percentileLabel);
        for (BenchmarkResult r : a.results()) {
            percentileSeries(chart, r.client(), r.latencies()).setLineWidth(1.5f);
        }
        percentileSeries(chart, "all (merged)", a.merged()).setLineWidth(3.5f).setLineColor(Color.BLACK);
        return chart;
    }

    private static XYSeries percentileSeries(XYChart chart, String name, Histogram h) {
        int points = 241;
        double[] x = new double[points];
        double[] y = new double[points];
        for (int i = 0; i < points; i++) {
            x[i] = FROM * Math.pow(TO / FROM, i / (points - 1.0));
            y[i] = h.getValueAtPercentile(100 * (1 - 1 / x[i])) / 1000.0;
        }
        return chart.addSeries(name, x, y);
    }

    /** 10 -> "90%", 100 -> "99%", 10000 -> "99.99%". */
    static String percentileLabel(double x) {
        return new java.math.BigDecimal(100 * (1 - 1 / x)).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString() + "%";
    }

    static XYChart throughput(BenchmarkReport.Aggregate a) {
        XYChart chart = overTime("Throughput", "requests/s");
        for (BenchmarkResult r : a.results()) {
            if (!r.intervals().isEmpty()) {
                chart.addSeries(r.client(), ends(r), r.intervals().stream().mapToDouble(BenchmarkResult.Interval::throughput).toArray());
            }
        }
        return chart;
    }

    static XYChart latencyOverTime(BenchmarkReport.Aggregate a) {
        XYChart chart = overTime("p50 and p99 latency", "latency (ms)");
        Color[] colors = chart.getStyler().getSeriesColors();
        int i = 0;
        for (BenchmarkResult r : a.results()) {
            if (r.intervals().isEmpty()) {
                continue;
            }
            Color color = colors[i++ % colors.length];
            chart.addSeries(r.client() + " p50", ends(r), r.intervals().stream().mapToDouble(v -> v.p50Micros() / 1000.0).toArray())
                    .setLineColor(color);
            XYSeries p99 = chart.addSeries(r.client() + " p99", ends(r),
                    r.intervals().stream().mapToDouble(v -> v.p99Micros() / 1000.0).toArray());
            p99.setLineColor(color);
            p99.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        }
        return chart;
    }

    /** Errors per interval and status, summed over clients by interval index; x is the mean end of those intervals. */
    static XYChart errorsOverTime(BenchmarkReport.Aggregate a) {
        XYChart chart = overTime("Errors per interval", "failed requests");
        int count = a.results().stream().mapToInt(r -> r.intervals().size()).max().orElse(0);
        TreeSet<String> statuses = new TreeSet<>();
        a.results().forEach(r -> r.intervals().forEach(v -> statuses.addAll(v.errorsByStatus().keySet())));
        double[] x = new double[count];
        for (int i = 0; i < count; i++) {
            final int index = i;
            x[i] = a.results().stream().filter(r -> r.intervals().size() > index)
                    .mapToDouble(r -> r.intervals().get(index).endSeconds()).average().orElse(0);
        }
        if (statuses.isEmpty()) {
            chart.addSeries("errors", x, new double[count]);
        }
        for (String status : statuses) {
            double[] y = new double[count];
            for (BenchmarkResult r : a.results()) {
                for (int i = 0; i < r.intervals().size(); i++) {
                    y[i] += r.intervals().get(i).errorsByStatus().getOrDefault(status, 0L);
                }
            }
            chart.addSeries(status, x, y);
        }
        return chart;
    }

    static CategoryChart errorsByStatus(BenchmarkReport.Aggregate a) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title("Errors by status")
                .xAxisTitle("HTTP status or exception").yAxisTitle("failed requests").build();
        style(chart.getStyler());
        chart.getStyler().setStacked(true);
        List<String> statuses = new ArrayList<>(a.errorsByStatus().keySet());
        for (BenchmarkResult r : a.results()) {
            Map<String, Long> mine = new TreeMap<>(r.errorsByStatus());
            chart.addSeries(r.client(), statuses, statuses.stream().map(s -> (Number) mine.getOrDefault(s, 0L)).toList());
        }
        return chart;
    }

    private static double[] ends(BenchmarkResult r) {
        return r.intervals().stream().mapToDouble(BenchmarkResult.Interval::endSeconds).toArray();
    }

    /** Over time: from the start of measuring, from zero up, so that a change looks as large as it is. */
    private static XYChart overTime(String title, String yTitle) {
        XYChart chart = xy(title, "seconds from the start of measuring (each point ends an interval)", yTitle);
        chart.getStyler().setXAxisMin(0.0).setYAxisMin(0.0);
        return chart;
    }

    private static XYChart xy(String title, String xTitle, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        style(chart.getStyler());
        chart.getStyler().setMarkerSize(4);
        return chart;
    }

    private static void style(AxesChartStyler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setAntiAlias(true);
    }

    private static void figure(StringBuilder b, Chart<?, ?> chart, String alt, String caption) {
        byte[] png;
        try {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            javax.imageio.ImageIO.write(BitmapEncoder.getBufferedImage(chart), "png", bytes);
            png = bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        b.append("<figure><img alt=\"").append(escape(alt)).append("\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
                .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png)).append("\">\n<figcaption>")
                .append(escape(caption)).append("</figcaption></figure>\n");
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
