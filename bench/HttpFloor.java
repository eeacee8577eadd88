///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//SOURCES BenchSupport.java WrkCeiling.java
package bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import lib.ModelSpec;
import lib.QaCodec;
import lib.QaModel;

/**
 * How much of the server's cost per request is the HTTP exchange itself. The tiny model is served
 * three ways, taking turns under wrk at the same connections: by the model server, and in this JVM
 * by two bare HTTP servers whose handler does nothing but answer the sample question (the JDK's
 * HttpServer, and a Jetty core handler without servlets or Javalin; both on virtual threads, as
 * the server); each round begins with the in-process loop at as many callers (WrkCeiling's
 * ceiling). Where the bare servers fall as far short of the in-process loop as the server does,
 * the gap is the HTTP exchange on this machine, not the server's own code.
 *
 *   ./jbang bench/HttpFloor.java [seconds=15] [rounds=2] [connections=2]
 */
public final class HttpFloor {
    public static void main(String... args) throws Exception {
        BenchSupport.withServerThreadEnv(HttpFloor.class, args);
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 15;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int connections = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Path trace = BenchSupport.tinyModel();
        System.out.printf(Locale.ROOT, "HTTP floor, tiny model, %d cores, %s, %d connections, %d rounds of %.0f s; %s%n%n",
                BenchSupport.CORES, BenchSupport.cpuName(), connections, rounds, seconds, BenchSupport.threadEnv());
        Path script = Files.createTempFile("wrk-floor", ".lua");
        Files.writeString(script, "request = function()\n  return wrk.format(\"GET\", \"/predictions/model0?seq_0="
                + BenchSupport.q(QaCodec.SAMPLE_QUESTION) + "\")\nend\n");
        long self = ProcessHandle.current().pid();
        try (QaModel m = QaModel.load(ModelSpec.ofTrace(trace, "cpu", 1, 1, null), BenchSupport.CORES, 16)) {
            m.warmUp();
            int jdkPort = lib.LocalRuntime.freePort(19300, java.util.Set.of());
            int jettyPort = lib.LocalRuntime.freePort(jdkPort + 1, java.util.Set.of(jdkPort));
            com.sun.net.httpserver.HttpServer jdk = bareJdk(m, jdkPort);
            org.eclipse.jetty.server.Server jetty = bareJetty(m, jettyPort);
            try {
                BenchSupport.server(trace, Map.of("NUM_MODELS", "1"), (url, pid) -> {
                    List<Side> sides = List.of(new Side("model server", url, pid),
                            new Side("bare JDK HttpServer (this JVM)", "http://127.0.0.1:" + jdkPort, self),
                            new Side("bare Jetty core handler (this JVM)", "http://127.0.0.1:" + jettyPort, self));
                    for (Side side : sides) {
                        WrkCeiling.wrk(side.url(), script.toString(), 8, 15); // JIT warm-up of each HTTP path
                    }
                    System.out.println("| side | requests/s | p50 ms | p99 ms | CPU ms/request | / in-process |");
                    System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
                    Map<String, List<Double>> cpu = new LinkedHashMap<>();
                    Map<String, List<Double>> ratios = new LinkedHashMap<>();
                    for (int round = 1; round <= rounds; round++) {
                        BenchSupport.Measured inProcess = BenchSupport.inProcess(m, "in-process loop, " + connections + " callers, round " + round,
                                connections, seconds);
                        cpu.computeIfAbsent("in-process loop", k -> new ArrayList<>()).add(inProcess.cpuMsPerRequest());
                        System.out.printf(Locale.ROOT, "%s %.2f | |%n", inProcess.result().row(), inProcess.cpuMsPerRequest());
                        for (Side side : sides) {
                            WrkCeiling.Run run = WrkCeiling.measured(side.url(), script.toString(), connections, seconds, side.pid());
                            cpu.computeIfAbsent(side.name(), k -> new ArrayList<>()).add(run.cpuMsPerRequest());
                            ratios.computeIfAbsent(side.name(), k -> new ArrayList<>()).add(run.rate() / inProcess.result().throughput());
                            System.out.printf(Locale.ROOT, "| %s, round %d | %s | %.2f | %.2f |%n", side.name(), round, run.cells(),
                                    run.cpuMsPerRequest(), ratios.get(side.name()).getLast());
                        }
                    }
                    cpu.forEach((name, values) -> System.out.printf(Locale.ROOT, "| **%s, median of %d rounds** | | | | **%.2f** | %s |%n",
                            name, values.size(), BenchSupport.median(values),
                            ratios.containsKey(name) ? String.format(Locale.ROOT, "**%.2f**", BenchSupport.median(ratios.get(name))) : ""));
                    return null;
                });
            } finally {
                jdk.stop(0);
                jetty.stop();
            }
        }
    }

    /** One way the model is served over HTTP, and the process whose CPU it costs. */
    record Side(String name, String url, long pid) {
    }

    static byte[] answer(QaModel m) {
        return ("{\"detail\":\"" + m.answer(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT, true).text() + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    static com.sun.net.httpserver.HttpServer bareJdk(QaModel m, int port) throws Exception {
        var server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", port), 256);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/predictions", exchange -> {
            byte[] body = answer(m);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }

    static org.eclipse.jetty.server.Server bareJetty(QaModel m, int port) throws Exception {
        var threads = new org.eclipse.jetty.util.thread.QueuedThreadPool();
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        var server = new org.eclipse.jetty.server.Server(threads);
        var connector = new org.eclipse.jetty.server.ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(new org.eclipse.jetty.server.Handler.Abstract() {
            @Override
            public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
                                  org.eclipse.jetty.util.Callback callback) {
                response.getHeaders().put("Content-Type", "application/json");
                response.write(true, ByteBuffer.wrap(answer(m)), callback);
                return true;
            }
        });
        server.start();
        return server;
    }
}
