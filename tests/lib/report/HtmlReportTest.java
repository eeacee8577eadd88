package lib.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bma's report page, made from recorded histograms and intervals; checked for its content and its plots. */
class HtmlReportTest {
    static final Pattern IMAGE = Pattern.compile("<img alt=\"([^\"]+)\"[^>]* src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\">");

    @TempDir
    Path dir;

    /** A client that recorded `intervals` intervals of one second, latencies around `micros`, and some errors per interval. */
    static String clientOutput(String name, int intervals, long micros, Map<String, Long> errorsPerInterval) {
        Histogram total = BenchmarkResult.newHistogram();
        List<BenchmarkResult.Interval> recorded = new ArrayList<>();
        Map<String, Long> errors = new java.util.TreeMap<>();
        for (int i = 0; i < intervals; i++) {
            Histogram h = BenchmarkResult.newHistogram();
            for (int k = 1; k <= 200 + 20 * i; k++) {
                h.recordValue(micros + k * (micros / 100) + (k % 97 == 0 ? 40 * micros : 0));
            }
            total.add(h);
            recorded.add(BenchmarkResult.Interval.of(i, i + 1, h, errorsPerInterval));
            errorsPerInterval.forEach((k, v) -> errors.merge(k, v, Long::sum));
        }
        long errorCount = errors.values().stream().mapToLong(Long::longValue).sum();
        return "bmk " + name + "\n" + BenchmarkResult.of(name, "closed", 2, 0, intervals, total, errorCount, errors, recorded).toLine() + "\n";
    }

    static Map<String, String> settings() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("model", "tiny-bert-qa <bundled>");
        s.put("servers (num_servers)", "2");
        return s;
    }

    static List<BufferedImage> images(String html, List<String> alts) throws Exception {
        List<BufferedImage> images = new ArrayList<>();
        Matcher m = IMAGE.matcher(html);
        while (m.find()) {
            alts.add(m.group(1));
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(java.util.Base64.getDecoder().decode(m.group(2))));
            assertTrue(image != null, m.group(1) + " is a PNG");
            images.add(image);
        }
        return images;
    }

    /** How many distinct colours an image has: a drawn chart has many, an empty frame a few. */
    static long colours(BufferedImage image) {
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                seen.add(image.getRGB(x, y));
            }
        }
        return seen.size();
    }

    @Test
    void aRunWithErrorsHasEverySectionAndFivePlots() throws Exception {
        Map<String, String> outputs = Map.of(
                "test-0", clientOutput("test-0", 6, 2_000, Map.of("503", 3L)),
                "test-1", clientOutput("test-1", 6, 9_000, Map.of("503", 1L, "HttpTimeoutException", 2L)),
                "test-2", "still running\n");
        BenchmarkReport.Aggregate a = BenchmarkReport.aggregate(outputs);
        Path file = HtmlReport.write(a, settings(), dir.resolve("results/report.html"));
        String html = Files.readString(file);

        assertTrue(html.startsWith("<!DOCTYPE html>"), html.substring(0, 40));
        for (String id : List.of("settings", "summary", "latency", "over-time", "errors")) {
            assertTrue(html.contains("<h2 id=\"" + id + "\">"), id);
        }
        assertTrue(html.contains("<tr><th>model</th><td>tiny-bert-qa &lt;bundled&gt;</td></tr>"), "settings, escaped");
        assertTrue(html.contains("test-2 has no benchmark result"), "a client without a result is named");
        // the merged row holds the exact percentiles of all requests of both clients
        String p99 = String.format(Locale.ROOT, "%.3f", a.merged().getValueAtPercentile(99) / 1000.0);
        String p9999 = String.format(Locale.ROOT, "%.3f", a.merged().getValueAtPercentile(99.99) / 1000.0);
        Matcher merged = Pattern.compile("<tr class=\"merged\"><td>all \\(merged\\)</td><td></td><td>(\\d+)</td><td>(\\d+)</td>"
                + "(?:<td>[0-9.]+</td>){4}<td>" + Pattern.quote(p99) + "</td><td>[0-9.]+</td><td>" + Pattern.quote(p9999) + "</td>").matcher(html);
        assertTrue(merged.find(), "merged row with p99 " + p99 + " and p99.99 " + p9999);
        assertEquals(a.requests(), Long.parseLong(merged.group(1)));
        assertEquals(36, Long.parseLong(merged.group(2)), "6 intervals x (3 + 3) errors");
        assertTrue(html.contains("36 of " + a.requests() + " requests failed: {503=24, HttpTimeoutException=12}."), "errors by status");

        List<String> alts = new ArrayList<>();
        List<BufferedImage> images = images(html, alts);
        assertEquals(List.of("latency percentile distribution", "throughput over time", "p50 and p99 over time",
                "errors over time", "errors by status"), alts);
        for (BufferedImage image : images) {
            assertEquals(HtmlReport.WIDTH, image.getWidth());
            assertEquals(HtmlReport.HEIGHT, image.getHeight());
            assertTrue(colours(image) > 20, "a drawn chart, not an empty frame");
        }
        assertFalse(html.contains("http://") || html.contains("https://"), "self-contained: nothing to fetch");
        assertFalse(html.contains("<script"), "no script");
    }

    @Test
    void aRunWithoutErrorsSaysSoAndHasNoErrorPlots() throws Exception {
        BenchmarkReport.Aggregate a = BenchmarkReport.aggregate(Map.of("c-0", clientOutput("c-0", 3, 1_000, Map.of())));
        String html = HtmlReport.html(a, settings());
        assertTrue(html.contains("No errors: every measured request succeeded."));
        List<String> alts = new ArrayList<>();
        images(html, alts);
        assertEquals(List.of("latency percentile distribution", "throughput over time", "p50 and p99 over time"), alts);
    }

    @Test
    void resultsWithoutIntervalsStillGetTheDistribution() throws Exception {
        Histogram h = BenchmarkReportTest.values(100, 5000);
        String old = BenchmarkResult.PREFIX + BenchmarkResult.of("old", "closed", 1, 0, 10, h, 0, Map.of(), List.of()).toLine()
                .substring(BenchmarkResult.PREFIX.length()).replace(",\"intervals\":[]", "");
        assertFalse(old.contains("intervals"), old);
        String html = HtmlReport.html(BenchmarkReport.aggregate(Map.of("old", old)), settings());
        List<String> alts = new ArrayList<>();
        images(html, alts);
        assertEquals(List.of("latency percentile distribution"), alts);
        assertTrue(html.contains("carry no progress intervals"));
    }

    @Test
    void thePercentileAxisIsLabelledInPercent() {
        assertEquals("50%", HtmlReport.percentileLabel(2));
        assertEquals("90%", HtmlReport.percentileLabel(10));
        assertEquals("99%", HtmlReport.percentileLabel(100));
        assertEquals("99.99%", HtmlReport.percentileLabel(10_000));
    }

    @Test
    void precisionComesFromTheTraceMetadata() throws Exception {
        Path meta = dir.resolve("metadata.json");
        Files.writeString(meta, "{\"outputs\": [{\"name\": \"start_logits\", \"dtype\": \"float32\"}]}");
        assertEquals("float32 (traced model outputs)", BenchmarkReport.precision(meta));
        assertEquals("unknown (no nothing.json from ./trace.java)", BenchmarkReport.precision(dir.resolve("nothing.json")));
    }
}
