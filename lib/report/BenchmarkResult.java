package lib.report;

//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.4 org.hdrhistogram:HdrHistogram:2.2.2

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * What one finished bmk client measured: counts, errors by status and the full latency histogram
 * (microseconds). It travels as one log line, `BMK-RESULT {json}`, so bma can read it from the logs
 * of processes, containers or pods alike, and merge histograms exactly across clients.
 */
public record BenchmarkResult(String client, long pid, String mode, int threads, double rate,
                              double durationSeconds, long requests, long errors,
                              Map<String, Long> errorsByStatus, String histogram, List<Interval> intervals) {
    public static final String PREFIX = "BMK-RESULT ";
    /** Latencies are recorded in microseconds, from 1 µs to 1 hour, with 3 significant digits. */
    public static final long HIGHEST_MICROS = 3_600_000_000L;
    public static final int DIGITS = 3;

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** Results of older clients have no intervals. */
    public BenchmarkResult {
        intervals = intervals == null ? List.of() : List.copyOf(intervals);
    }

    /**
     * One progress interval of the measured time: seconds from the start of measuring, requests
     * completed in it (failed ones included), their latency percentiles (microseconds) and the
     * errors by status that happened in it.
     */
    public record Interval(double startSeconds, double endSeconds, long requests, long p50Micros, long p90Micros,
                           long p99Micros, long maxMicros, Map<String, Long> errorsByStatus) {
        public Interval {
            errorsByStatus = errorsByStatus == null ? Map.of() : new TreeMap<>(errorsByStatus);
        }

        public static Interval of(double startSeconds, double endSeconds, Histogram h, Map<String, Long> errorsByStatus) {
            return new Interval(startSeconds, endSeconds, h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(90),
                    h.getValueAtPercentile(99), h.getMaxValue(), errorsByStatus);
        }

        public long errors() {
            return errorsByStatus.values().stream().mapToLong(Long::longValue).sum();
        }

        public double throughput() {
            double seconds = endSeconds - startSeconds;
            return seconds <= 0 ? 0 : requests / seconds;
        }
    }

    public static Histogram newHistogram() {
        return new Histogram(HIGHEST_MICROS, DIGITS);
    }

    public static BenchmarkResult of(String client, String mode, int threads, double rate, double durationSeconds,
                                     Histogram latencies, long errors, Map<String, Long> errorsByStatus,
                                     List<Interval> intervals) {
        return new BenchmarkResult(client, ProcessHandle.current().pid(), mode, threads, rate, durationSeconds,
                latencies.getTotalCount(), errors, new TreeMap<>(errorsByStatus), encode(latencies), intervals);
    }

    /** Requests per second over the measured duration, failed ones included (as the original counted). */
    public double throughput() {
        return durationSeconds <= 0 ? 0 : requests / durationSeconds;
    }

    public Histogram latencies() {
        return decode(histogram);
    }

    /** The log line: prefix and one line of JSON. */
    public String toLine() {
        try {
            return PREFIX + JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a `BMK-RESULT {json}` line; IllegalArgumentException with one line when it is damaged. */
    public static BenchmarkResult parse(String line) {
        String json = line.substring(line.indexOf(PREFIX) + PREFIX.length());
        try {
            BenchmarkResult r = JSON.readValue(json, BenchmarkResult.class);
            r.latencies();
            return r;
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new IllegalArgumentException("damaged benchmark result line: " + abbreviate(json));
        }
    }

    static String encode(Histogram h) {
        ByteBuffer buffer = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int size = h.encodeIntoCompressedByteBuffer(buffer);
        return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer.array(), size));
    }

    static Histogram decode(String base64) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("bad histogram", e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }
}
