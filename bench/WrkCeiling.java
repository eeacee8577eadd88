///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//SOURCES BenchSupport.java
package bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lib.model.ModelSpec;
import lib.model.QaCodec;
import lib.model.QaModel;

/**
 * ServingBench's ceiling with wrk (C, a few microseconds of CPU per request) as the HTTP load
 * generator instead of Java's HttpClient: on 2 shared cores the generator's own cost per request
 * is part of what the server is compared with, and wrk's is far smaller. Needs `wrk` on the PATH.
 *
 * In-process and server take turns (rounds), both loaded all along, and the median of the rounds'
 * ratios is the result: on this shared machine the same run can be 20% faster a minute later.
 *
 *   ./jbang bench/WrkCeiling.java tiny|full|full-int8 [seconds=20] [rounds=3] [copies=1] [connections=2,8]
 *
 * With several copies wrk asks model0, model1, ... in turn.
 */
public final class WrkCeiling {
    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");

    public static void main(String... args) throws Exception {
        BenchSupport.withServerThreadEnv(WrkCeiling.class, args);
        String model = args.length > 0 ? args[0] : "tiny";
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 20;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int copies = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        int[] concurrencies = java.util.Arrays.stream((args.length > 4 ? args[4] : "2,8").split(",")).mapToInt(Integer::parseInt).toArray();
        Path trace = model.startsWith("full") ? BenchSupport.fullModel(model) : BenchSupport.tinyModel();
        System.out.printf(Locale.ROOT, "ceiling with wrk, model %s, %d cop%s, %d cores, %s, %d rounds of %.0f s each way; both sides with %s%n%n",
                model, copies, copies == 1 ? "y" : "ies", BenchSupport.CORES, BenchSupport.cpuName(), rounds, seconds,
                BenchSupport.threadEnv());
        Path script = Files.createTempFile("wrk-copies", ".lua");
        // each wrk thread walks the copies in turn
        Files.writeString(script, "local n = 0\nrequest = function()\n  local path = string.format(\"/predictions/model%d?seq_0="
                + BenchSupport.q(QaCodec.SAMPLE_QUESTION).replace("%", "%%") + "\", n % " + copies
                + ")\n  n = n + 1\n  return wrk.format(\"GET\", path)\nend\n");
        String walk = script.toString();
        System.out.println("| path | requests/s | p50 ms | p99 ms | CPU ms/request | server / in-process |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
        // both stay loaded and take turns, so a slow minute of this shared machine hits both sides alike
        try (QaModel m = QaModel.load(ModelSpec.ofTrace(trace, "cpu", 1, 1, null), BenchSupport.CORES, 16)) {
            m.warmUp();
            BenchSupport.server(trace, Map.of("NUM_MODELS", Integer.toString(copies)), (url, pid) -> {
                wrk(url, walk, 8, 20); // the server's JIT warm-up: its HTTP path is Java, the in-process one mostly native
                for (int callers : concurrencies) {
                    List<Double> ratios = new ArrayList<>();
                    for (int round = 1; round <= rounds; round++) {
                        BenchSupport.Measured inProcess = BenchSupport.inProcess(m, "in-process, " + callers + " callers, round " + round,
                                callers, seconds);
                        Run server = measured(url, walk, callers, seconds, pid);
                        ratios.add(server.rate() / inProcess.result().throughput());
                        System.out.printf(Locale.ROOT, "%s %.2f | |%n", inProcess.result().row(), inProcess.cpuMsPerRequest());
                        System.out.printf(Locale.ROOT, "| server (wrk), %d cop%s, %d connections, round %d | %s | %.2f (wrk %.3f) | %.2f |%n",
                                copies, copies == 1 ? "y" : "ies", callers, round, server.cells(), server.cpuMsPerRequest(),
                                wrkCpuNanos(server.out()) / 1e6 / server.requests(), ratios.getLast());
                    }
                    System.out.printf(Locale.ROOT, "| **median of %d rounds, %d connections** | | | | | **%.2f** |%n", rounds, callers,
                            BenchSupport.median(ratios));
                }
                return null;
            });
        }
    }

    /** A measured wrk run: its output, and the serving process's CPU per request over it. */
    record Run(String out, double rate, double seconds, double cpuMsPerRequest) {
        double requests() {
            return rate * seconds;
        }

        /** requests/s, p50 ms and p99 ms as table cells. */
        String cells() {
            return String.format(Locale.ROOT, "%.1f | %.1f | %.1f", rate, percentile(out, "50%"), percentile(out, "99%"));
        }
    }

    /** wrk at `connections` for 3 s, then for `seconds` measured, with the CPU per request of process pid. */
    static Run measured(String url, String script, int connections, double seconds, long pid) throws Exception {
        wrk(url, script, connections, 3);
        long cpu0 = BenchSupport.processCpuNanos(pid);
        String out = wrk(url, script, connections, seconds);
        double rate = rate(out);
        long whole = Math.max(1, Math.round(seconds)); // wrk runs whole seconds
        return new Run(out, rate, whole, (BenchSupport.processCpuNanos(pid) - cpu0) / 1e6 / (rate * whole));
    }

    /** wrk against the server at url, its requests made by the Lua script. */
    static String wrk(String url, String script, int connections, double seconds) throws Exception {
        // through sh, which prints its children's CPU time (cutime, cstime) once wrk has exited
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "wrk \"$@\" && echo \"wrk-cpu: $(cut -d' ' -f16,17 /proc/$$/stat)\"", "wrk", "-t", Integer.toString(Math.min(connections, 2)), "-c",
                Integer.toString(connections), "-d", Math.max(1, Math.round(seconds)) + "s", "--latency", "-s", script, url));
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

    static double rate(String out) {
        Matcher rate = RATE.matcher(out);
        rate.find();
        return Double.parseDouble(rate.group(1));
    }

    /** wrk's user + system CPU, from the line wrk() adds (clock ticks of 10 ms). */
    static long wrkCpuNanos(String out) {
        Matcher m = Pattern.compile("wrk-cpu: (\\d+) (\\d+)").matcher(out);
        return m.find() ? (Long.parseLong(m.group(1)) + Long.parseLong(m.group(2))) * 10_000_000L : -1;
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
