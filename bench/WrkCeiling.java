///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//SOURCES BenchSupport.java
package bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lib.ModelSpec;
import lib.QaCodec;
import lib.QaModel;

/**
 * ServingBench's ceiling with wrk (C, a few microseconds of CPU per request) as the HTTP load
 * generator instead of Java's HttpClient: on 2 shared cores the generator's own cost per request
 * is part of what the server is compared with, and wrk's is far smaller. Needs `wrk` on the PATH.
 *
 *   ./jbang bench/WrkCeiling.java tiny|full|full-int8 [seconds=20]
 */
public final class WrkCeiling {
    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");

    public static void main(String... args) throws Exception {
        String model = args.length > 0 ? args[0] : "tiny";
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 20;
        Path trace = model.startsWith("full") ? BenchSupport.fullModel(model) : BenchSupport.tinyModel();
        System.out.printf(Locale.ROOT, "ceiling with wrk, model %s, %d cores, %s%n%n", model, BenchSupport.CORES, BenchSupport.cpuName());
        System.out.println("| path | requests/s | p50 ms | p99 ms |");
        System.out.println("| --- | ---: | ---: | ---: |");
        for (int callers : new int[] {2, 8}) {
            BenchSupport.Result inProcess;
            try (QaModel m = QaModel.load(ModelSpec.ofTrace(trace, "cpu", 1, 1, null), BenchSupport.CORES, 16)) {
                m.warmUp();
                inProcess = BenchSupport.run("in-process, " + callers + " callers", callers, seconds,
                        () -> m.answer(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT, true).text() != null);
            }
            System.out.println(inProcess.row());
            String row = BenchSupport.server(trace, Map.of("NUM_MODELS", "1"), (url, pid) -> {
                String target = url + "/predictions/model0?seq_0=" + BenchSupport.q(QaCodec.SAMPLE_QUESTION);
                wrk(target, callers, 3); // warm-up, as ServingBench's 3 s
                return wrkRow("server (wrk), 1 copy, " + callers + " connections", wrk(target, callers, seconds), inProcess);
            });
            System.out.println(row);
        }
    }

    static String wrk(String url, int connections, double seconds) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("wrk", "-t", Integer.toString(Math.min(connections, 2)), "-c",
                Integer.toString(connections), "-d", Math.max(1, Math.round(seconds)) + "s", "--latency", url));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0 || !RATE.matcher(out).find()) {
            throw new IllegalStateException("wrk failed: " + out);
        }
        if (out.contains("Non-2xx")) {
            throw new IllegalStateException("the server answered errors: " + out);
        }
        return out;
    }

    static String wrkRow(String name, String out, BenchSupport.Result inProcess) {
        Matcher rate = RATE.matcher(out);
        rate.find();
        double rps = Double.parseDouble(rate.group(1));
        return String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | server / in-process: %.2f", name, rps, percentile(out, "50%"),
                percentile(out, "99%"), rps / inProcess.throughput());
    }

    /** A latency line of wrk's --latency table, in ms ("50%    6.34ms", or us / s). */
    static double percentile(String out, String which) {
        Matcher m = Pattern.compile("(?m)^\\s+" + Pattern.quote(which) + "\\s+([0-9.]+)(us|ms|s)\\s*$").matcher(out);
        if (!m.find()) {
            return Double.NaN;
        }
        double v = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "us" -> v / 1000;
            case "s" -> v * 1000;
            default -> v;
        };
    }
}
