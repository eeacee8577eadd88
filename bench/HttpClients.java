///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//DEPS org.eclipse.jetty:jetty-client:12.1.12 org.apache.httpcomponents.client5:httpclient5:5.6.4
//SOURCES BenchSupport.java WrkCeiling.java ../client/LoadClient.java
package bench;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which HTTP client the load client should send with: each candidate as a process of its own,
 * closed loop at the same connections against one server of the bundled model, taking turns with
 * wrk (C, one thread, the path in its URL), for a whole run of `seconds` (JVM start and JIT included, as a user's run
 * has them). The candidates: the JDK's HttpClient (a request built once, body discarded), Jetty's
 * HttpClient (the Jetty of the Javalin server) and Apache HttpClient 5 classic with a pooling
 * manager, each with a thread per connection; and the load client itself (bmk, a blocking socket
 * per worker). Each row: requests/s and CPU ms per request of the generator, and both as ratios
 * to wrk's in the same round.
 *
 *   ./jbang bench/HttpClients.java [seconds=30] [connections=4] [rounds=2] [candidates=wrk,jdk,jetty,apache,load-client]
 */
public final class HttpClients {
    private static final Pattern CPU = Pattern.compile("generator-cpu: (\\d+) (\\d+)");

    public static void main(String... args) throws Exception {
        if (args.length > 0 && args[0].equals("child")) {
            child(args[1], args[2], Integer.parseInt(args[3]), Double.parseDouble(args[4]));
            return;
        }
        BenchSupport.withServerThreadEnv(HttpClients.class, args);
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 30;
        int connections = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        List<String> candidates = List.of((args.length > 3 ? args[3] : "wrk,jdk,jetty,apache,load-client").split(","));
        Path trace = BenchSupport.tinyModel();
        System.out.printf(Locale.ROOT, "HTTP clients, tiny model, %d cores, %s, %d connections, %d rounds of %.0f s each (whole runs)%n%n",
                BenchSupport.CORES, BenchSupport.cpuName(), connections, rounds, seconds);
        Path script = Files.createTempFile("wrk-model0", ".lua");
        Files.writeString(script, "request = function()\n  return wrk.format(\"GET\", \"/predictions/model0\")\nend\n");
        BenchSupport.server(trace, Map.of("NUM_MODELS", "1"), (url, pid) -> {
            WrkCeiling.wrk(url, script.toString(), 8, 20); // the server's JIT
            System.out.println("| generator, round | requests/s | CPU ms/request | requests/s / wrk's | CPU / wrk's |");
            System.out.println("| --- | ---: | ---: | ---: | ---: |");
            Map<String, List<double[]>> ratios = new LinkedHashMap<>();
            for (int round = 1; round <= rounds; round++) {
                double[] wrk = null;
                for (String candidate : candidates) {
                    double[] r = generate(candidate, url, script, connections, seconds);
                    if (candidate.equals("wrk")) {
                        wrk = r;
                    }
                    double rateRatio = wrk == null ? Double.NaN : r[0] / wrk[0];
                    double cpuRatio = wrk == null ? Double.NaN : r[1] / wrk[1];
                    ratios.computeIfAbsent(candidate, k -> new ArrayList<>()).add(new double[] {rateRatio, cpuRatio});
                    System.out.printf(Locale.ROOT, "| %s, round %d | %.0f | %.4f | %.2f | %.1f |%n", candidate, round, r[0], r[1],
                            rateRatio, cpuRatio);
                }
            }
            ratios.forEach((candidate, list) -> System.out.printf(Locale.ROOT, "| **%s, median of %d rounds** | | | **%.2f** | **%.1f** |%n",
                    candidate, list.size(), BenchSupport.median(list.stream().map(v -> v[0]).toList()),
                    BenchSupport.median(list.stream().map(v -> v[1]).toList())));
            return null;
        });
    }

    /** One whole run of a generator: requests/s, and its CPU ms per request (user + system, the whole process). */
    static double[] generate(String candidate, String url, Path script, int connections, double seconds) throws Exception {
        List<String> command = new ArrayList<>();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        long whole = Math.max(1, Math.round(seconds));
        switch (candidate) {
            case "wrk" -> command.addAll(List.of("wrk", "-t1", "-c" + connections, "-d" + whole + "s", url + "/predictions/model0"));
            case "load-client" -> command.addAll(List.of(java, "-cp", cp, "client.LoadClient", "bmk", "--server", url, "--models", "1",
                    "--threads", Integer.toString(connections), "--warmup", "0", "--duration", Long.toString(whole),
                    "--interval", Long.toString(whole)));
            default -> command.addAll(List.of(java, "-cp", cp, HttpClients.class.getName(), "child", candidate, url,
                    Integer.toString(connections), Long.toString(whole)));
        }
        List<String> sh = new ArrayList<>(List.of("sh", "-c", "\"$@\" && echo \"generator-cpu: $(cut -d' ' -f16,17 /proc/$$/stat)\"", "gen"));
        sh.addAll(command);
        Process p = new ProcessBuilder(sh).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        Matcher cpu = CPU.matcher(out);
        if (p.waitFor() != 0 || !cpu.find()) {
            throw new IllegalStateException(candidate + " failed: " + out);
        }
        long cpuNanos = (Long.parseLong(cpu.group(1)) + Long.parseLong(cpu.group(2))) * 10_000_000L;
        double requests = switch (candidate) {
            case "wrk" -> WrkCeiling.rate(out) * whole;
            case "load-client" -> {
                String line = out.lines().filter(l -> l.startsWith(lib.report.BenchmarkResult.PREFIX)).findFirst().orElseThrow();
                lib.report.BenchmarkResult r = lib.report.BenchmarkResult.parse(line);
                yield r.errors() > 0 ? 0 : r.requests();
            }
            default -> Double.parseDouble(out.lines().filter(l -> l.startsWith("requests ")).findFirst().orElseThrow().substring(9));
        };
        if (out.contains("Non-2xx") || requests == 0) {
            throw new IllegalStateException(candidate + " saw errors: " + out);
        }
        return new double[] {requests / whole, cpuNanos / 1e6 / requests};
    }

    /** A candidate's closed loop: `connections` threads sending GET url/predictions/model0 for `seconds`; prints "requests N". */
    static void child(String candidate, String url, int connections, double seconds) throws Exception {
        URI uri = URI.create(url + "/predictions/model0");
        Sender sender = switch (candidate) {
            case "jdk" -> jdk(uri);
            case "jetty" -> jetty(uri, connections);
            case "apache" -> apache(uri, connections);
            default -> throw new IllegalArgumentException("unknown candidate " + candidate);
        };
        long until = System.nanoTime() + (long) (seconds * 1e9);
        AtomicLong ok = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < connections; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    while (System.nanoTime() < until) {
                        if (sender.send() != 200) {
                            throw new IllegalStateException("not 200");
                        }
                        ok.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        System.out.println("requests " + ok.get());
        System.exit(0);
    }

    interface Sender {
        int send() throws Exception;
    }

    static Sender jdk(URI uri) {
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(uri).GET().build();
        return () -> client.send(request, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    static Sender jetty(URI uri, int connections) throws Exception {
        org.eclipse.jetty.client.HttpClient client = new org.eclipse.jetty.client.HttpClient();
        client.setMaxConnectionsPerDestination(connections);
        client.start();
        return () -> client.newRequest(uri).send().getStatus();
    }

    static Sender apache(URI uri, int connections) {
        var manager = org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder.create()
                .setMaxConnTotal(connections).setMaxConnPerRoute(connections).build();
        var client = org.apache.hc.client5.http.impl.classic.HttpClients.custom().setConnectionManager(manager).build();
        ThreadLocal<org.apache.hc.client5.http.classic.methods.HttpGet> request =
                ThreadLocal.withInitial(() -> new org.apache.hc.client5.http.classic.methods.HttpGet(uri));
        return () -> client.execute(request.get(), response -> {
            org.apache.hc.core5.http.io.entity.EntityUtils.consume(response.getEntity());
            return response.getCode();
        });
    }
}
