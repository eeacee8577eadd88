package lib.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import lib.cli.CliError;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkReportTest {
    @TempDir
    Path dir;

    static Histogram values(long from, long to) {
        Histogram h = BenchmarkResult.newHistogram();
        for (long v = from; v <= to; v++) {
            h.recordValue(v);
        }
        return h;
    }

    static String log(String name, Histogram h, double seconds, Map<String, Long> errors) {
        long errorCount = errors.values().stream().mapToLong(Long::longValue).sum();
        return "bmk " + name + ": closed loop\n{'pid': 1, 'throughput': 1.0, 'p50': '0.1', 'p90': '0.1', 'p95': '0.1', 'errors': '0'}\n"
                + BenchmarkResult.of(name, "closed", 2, 0, seconds, h, errorCount, errors, java.util.List.of()).toLine() + "\n";
    }

    @Test
    void percentilesComeFromTheMergedHistogramsExactly() {
        // client a: 1000 fast requests (1..1000 µs); client b: 1000 slow ones (100001..101000 µs)
        Map<String, String> outputs = new LinkedHashMap<>();
        outputs.put("test-1", log("test-1", values(100_001, 101_000), 10, Map.of("503", 3L)));
        outputs.put("test-0", log("test-0", values(1, 1000), 10, Map.of()));
        BenchmarkReport.Aggregate a = BenchmarkReport.aggregate(outputs);

        Histogram union = values(1, 1000);
        union.add(values(100_001, 101_000));
        assertEquals(2000, a.requests());
        for (double p : new double[] {50, 90, 95, 99, 99.9}) {
            assertEquals(union.getValueAtPercentile(p) / 1e6, a.seconds(p), "p" + p);
        }
        assertEquals(union.getMaxValue(), a.merged().getMaxValue());
        // the merged p90 is a slow request; the original's average of percentiles is not a real latency
        assertTrue(a.seconds(90) > 0.1);
        double avg90 = (values(1, 1000).getValueAtPercentile(90) + values(100_001, 101_000).getValueAtPercentile(90)) / 2e6;
        assertEquals(avg90, a.average(90), 1e-12);
        assertEquals(200.0, a.throughputTotal(), 1e-9);
        assertEquals(3, a.errors());
        assertEquals(Map.of("503", 3L), a.errorsByStatus());
        assertEquals(String.format(java.util.Locale.ROOT, "{ 'throughput_total': 200.0, 'p50_avg': %.3f, 'p90_avg': %.3f, 'p95_avg': %.3f, 'errors_total': 3 }",
                a.average(50), a.average(90), a.average(95)), a.originalLine());
        assertEquals("test-0", a.results().get(0).client(), "clients in name order");
    }

    @Test
    void printsATableTheOriginalLineAndWritesTheMergedHistogram() throws Exception {
        BenchmarkReport.Aggregate a = BenchmarkReport.aggregate(Map.of("c-0", log("c-0", values(1000, 2000), 5, Map.of()),
                "c-1", "still running\n"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BenchmarkReport.print(a, dir, new PrintStream(out, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("Aggregated statistics of 1 clients"), text);
        assertTrue(text.strip().endsWith("'errors_total': 0 }"), text);
        assertEquals(java.util.List.of("c-1"), a.missing());
        Histogram back = (Histogram) new HistogramLogReader(dir.resolve("bma-merged.hlog").toFile()).nextIntervalHistogram();
        assertEquals(a.merged().getTotalCount(), back.getTotalCount());
        assertEquals(a.merged().getValueAtPercentile(99), back.getValueAtPercentile(99));
        assertTrue(Files.readString(dir.resolve("bma-summary.json")).contains("\"requests\" : 1001"));
    }

    @Test
    void noResultsOrDamagedLinesAreClearErrors() {
        BenchmarkReport.Aggregate none = BenchmarkReport.aggregate(Map.of("c-0", "idle\n"));
        CliError e = assertThrows(CliError.class, () -> BenchmarkReport.print(none, null, new PrintStream(new ByteArrayOutputStream())));
        assertEquals("no finished bmk results to aggregate: run ./test.java run bmk first", e.getMessage());
        CliError damaged = assertThrows(CliError.class, () -> BenchmarkReport.aggregate(Map.of("c-0", BenchmarkResult.PREFIX + "{\"client\": 1, \"histogram\": \"@@@\"}")));
        assertTrue(damaged.getMessage().startsWith("damaged benchmark result line: "), damaged.getMessage());
    }
}
