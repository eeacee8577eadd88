///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//SOURCES BenchSupport.java WrkCeiling.java ../client/LoadClient.java
package bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lib.report.BenchmarkResult;

/**
 * The load client as an instrument: bmk (closed loop) and wrk (C, one thread, no script) take turns at the
 * same connections against one server, each a whole run of `seconds` from its process's start
 * (JVM start and JIT included, no warm-up left out): requests/s, p50 and p99 as each reports
 * them, and each generator's CPU per request (user + system of its whole process). Then both
 * against a server that answers a constant at once (a blocking socket per connection in this
 * JVM): there the client's p50 minus wrk's is what the client adds to every latency it reports.
 *
 *   ./jbang bench/ClientVsWrk.java [model=tiny|full-int8|constant] [seconds=30] [rounds=2] [connections=2,4,16]
 */
public final class ClientVsWrk {
    private static final Pattern CPU = Pattern.compile("generator-cpu: (\\d+) (\\d+)");
    static final String ANSWER = "{\"detail\": \"42\"}";

    public static void main(String... args) throws Exception {
        BenchSupport.withServerThreadEnv(ClientVsWrk.class, args);
        String model = args.length > 0 ? args[0] : "tiny";
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 30;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int[] connections = java.util.Arrays.stream((args.length > 3 ? args[3] : "2,4,16").split(",")).mapToInt(Integer::parseInt).toArray();
        System.out.printf(Locale.ROOT, "load client vs wrk, %s, %d cores, %s, %d rounds of %.0f s whole runs each way%n%n", model,
                BenchSupport.CORES, BenchSupport.cpuName(), rounds, seconds);
        Path script = Files.createTempFile("wrk-model0", ".lua");
        Files.writeString(script, "request = function()\n  return wrk.format(\"GET\", \"/predictions/model0\")\nend\n");
        if (model.equals("constant")) {
            try (ServerSocket constant = constantServer()) {
                String url = "http://127.0.0.1:" + constant.getLocalPort();
                WrkCeiling.wrk(url, script.toString(), 4, 10); // this JVM's JIT of the constant server
                compare(url, script, connections, rounds, seconds);
            }
            return;
        }
        Path trace = model.equals("tiny") ? BenchSupport.tinyModel() : BenchSupport.fullModel(model);
        BenchSupport.server(trace, Map.of("NUM_MODELS", "1"), (url, pid) -> {
            WrkCeiling.wrk(url, script.toString(), 8, 20); // the server's JIT
            compare(url, script, connections, rounds, seconds);
            return null;
        });
    }

    static void compare(String url, Path script, int[] connections, int rounds, double seconds) throws Exception {
        System.out.println("| connections, round | generator | requests/s | p50 ms | p99 ms | CPU ms/request | requests/s client/wrk | CPU client/wrk"
                + " | client's 1st s / median s |");
        System.out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (int c : connections) {
            List<Double> rate = new ArrayList<>();
            List<Double> cpu = new ArrayList<>();
            List<Double> addedP50 = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                Run wrk = run("wrk", url, script, c, seconds);
                Run client = run("load-client", url, script, c, seconds);
                rate.add(client.rate() / wrk.rate());
                cpu.add(client.cpuMs() / wrk.cpuMs());
                addedP50.add(client.p50Ms() - wrk.p50Ms());
                System.out.printf(Locale.ROOT, "| %d, round %d | wrk | %s | | | |%n", c, round, wrk.cells());
                System.out.printf(Locale.ROOT, "| %d, round %d | load client | %s | %.2f | %.1f | %.2f |%n", c, round, client.cells(),
                        rate.getLast(), cpu.getLast(), client.firstSecond());
            }
            System.out.printf(Locale.ROOT, "| **%d, median of %d rounds** | | | p50 client - wrk: **%.3f ms** | | | **%.2f** | **%.1f** | |%n", c,
                    rounds, BenchSupport.median(addedP50), BenchSupport.median(rate), BenchSupport.median(cpu));
        }
    }

    /** firstSecond: the client's requests in its first second over its median second (its JIT warm-up); NaN for wrk. */
    record Run(double rate, double p50Ms, double p99Ms, double cpuMs, double firstSecond) {
        String cells() {
            return String.format(Locale.ROOT, "%.0f | %.3f | %.3f | %.4f", rate, p50Ms, p99Ms, cpuMs);
        }
    }

    /** One whole run of a generator, measured from outside: its figures, and its CPU per request. */
    static Run run(String generator, String url, Path script, int connections, double seconds) throws Exception {
        long whole = Math.max(1, Math.round(seconds));
        List<String> command = new ArrayList<>(List.of("sh", "-c", "\"$@\" && echo \"generator-cpu: $(cut -d' ' -f16,17 /proc/$$/stat)\"", "gen"));
        if (generator.equals("wrk")) {
            // the path in the URL, no Lua script: wrk's cheapest way to send
            command.addAll(List.of("wrk", "-t1", "-c" + connections, "-d" + whole + "s", "--latency", url + "/predictions/model0"));
        } else {
            command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), "client.LoadClient", "bmk", "--server", url, "--models", "1",
                    "--threads", Integer.toString(connections), "--warmup", "0", "--duration", Long.toString(whole),
                    "--interval", "1"));
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        Matcher cpu = CPU.matcher(out);
        if (p.waitFor() != 0 || !cpu.find() || out.contains("Non-2xx")) {
            throw new IllegalStateException(generator + " failed: " + out);
        }
        double cpuMs = (Long.parseLong(cpu.group(1)) + Long.parseLong(cpu.group(2))) * 10.0;
        if (generator.equals("wrk")) {
            double rate = WrkCeiling.rate(out);
            return new Run(rate, WrkCeiling.percentile(out, "50%"), WrkCeiling.percentile(out, "99%"), cpuMs / (rate * whole), Double.NaN);
        }
        BenchmarkResult r = BenchmarkResult.parse(out.lines().filter(l -> l.startsWith(BenchmarkResult.PREFIX)).findFirst().orElseThrow());
        var h = r.latencies();
        double first = r.intervals().getFirst().requests();
        double median = BenchSupport.median(r.intervals().stream().map(v -> (double) v.requests()).toList());
        return new Run(r.throughput(), h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, cpuMs / r.requests(),
                first / median);
    }

    /** A server that answers every request at once with the same small JSON: a blocking socket per connection. */
    static ServerSocket constantServer() throws IOException {
        ServerSocket listener = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
        byte[] answer = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + ANSWER.length() + "\r\n\r\n" + ANSWER)
                .getBytes(StandardCharsets.US_ASCII);
        Thread.ofPlatform().daemon().start(() -> {
            while (!listener.isClosed()) {
                try {
                    Socket s = listener.accept();
                    s.setTcpNoDelay(true);
                    Thread.ofPlatform().daemon().start(() -> answerAll(s, answer));
                } catch (IOException closed) {
                    return;
                }
            }
        });
        return listener;
    }

    /** Answers each request on the connection (its end is an empty line; GET requests have no body). */
    private static void answerAll(Socket s, byte[] answer) {
        try (s; InputStream in = new java.io.BufferedInputStream(s.getInputStream()); OutputStream out = s.getOutputStream()) {
            int state = 0; // how much of "\r\n\r\n" was just read
            for (int b = in.read(); b >= 0; b = in.read()) {
                state = b == '\r' ? (state == 2 ? 3 : 1) : b == '\n' && (state == 1 || state == 3) ? state + 1 : 0;
                if (state == 4) {
                    out.write(answer);
                    out.flush();
                    state = 0;
                }
            }
        } catch (IOException gone) {
            // the generator closed the connection
        }
    }
}
