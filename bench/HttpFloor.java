///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//DEPS org.eclipse.jetty:jetty-server:12.1.12
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
import lib.model.ModelSpec;
import lib.model.QaCodec;
import lib.model.QaModel;

/**
 * How much of the server's cost per request is the HTTP exchange itself, and how much is the way
 * an HTTP server waits for its connections. The tiny model is served several ways, taking turns
 * under wrk at the same connections: by the model server, and in this JVM by bare servers whose
 * handler does nothing but answer the sample question: the JDK's HttpServer and a Jetty core
 * handler (a selector thread hands each request to a virtual thread, as in the server), Helidon's
 * WebServer (a virtual thread per connection, blocking reads), and as the floor of any HTTP server
 * a blocking socket per connection on a platform or a virtual thread, which parses nothing but
 * the end of wrk's requests. Each round begins with the in-process loop at as many callers
 * (WrkCeiling's ceiling).
 *
 *   ./jbang bench/HttpFloor.java [seconds=15] [rounds=2] [connections=2]
 *   FLOOR_SIDES='helidon|platform' ./jbang bench/HttpFloor.java ...   (only the sides whose names match)
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
            int jdkPort = lib.runtime.LocalRuntime.freePort(19300, java.util.Set.of());
            int jettyPort = lib.runtime.LocalRuntime.freePort(jdkPort + 1, java.util.Set.of(jdkPort));
            com.sun.net.httpserver.HttpServer jdk = bareJdk(m, jdkPort);
            org.eclipse.jetty.server.Server jetty = bareJetty(m, jettyPort);
            int socketPort = lib.runtime.LocalRuntime.freePort(jettyPort + 1, java.util.Set.of(jdkPort, jettyPort));
            java.net.ServerSocket sockets = blockingSockets(m, socketPort, Thread.ofPlatform().daemon());
            int virtualPort = lib.runtime.LocalRuntime.freePort(socketPort + 1, java.util.Set.of(jdkPort, jettyPort, socketPort));
            java.net.ServerSocket virtualSockets = blockingSockets(m, virtualPort, Thread.ofVirtual());
            int helidonPort = lib.runtime.LocalRuntime.freePort(virtualPort + 1, java.util.Set.of(jdkPort, jettyPort, socketPort, virtualPort));
            io.helidon.webserver.WebServer helidon = bareHelidon(m, helidonPort);
            try {
                BenchSupport.server(trace, Map.of("NUM_MODELS", "1"), (url, pid) -> {
                    List<Side> sides = List.of(new Side("model server", url, pid),
                            new Side("bare JDK HttpServer (this JVM)", "http://127.0.0.1:" + jdkPort, self),
                            new Side("bare Jetty core handler (this JVM)", "http://127.0.0.1:" + jettyPort, self),
                            new Side("blocking socket, platform thread per connection (this JVM)", "http://127.0.0.1:" + socketPort, self),
                            new Side("blocking socket, virtual thread per connection (this JVM)", "http://127.0.0.1:" + virtualPort, self),
                            new Side("bare Helidon WebServer (this JVM)", "http://127.0.0.1:" + helidonPort, self));
                    String only = System.getenv().getOrDefault("FLOOR_SIDES", "");
                    sides = sides.stream().filter(sd -> sd.name().matches("(?i).*(" + only + ").*")).toList();
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
                sockets.close();
                virtualSockets.close();
                helidon.stop();
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

    /**
     * The floor of any HTTP server: a platform thread per connection reads a request, answers it
     * and reads the next, with no selector and no hand-off between threads. It only answers wrk's
     * bodiless keep-alive GETs: a measuring stick, not a server.
     */
    static java.net.ServerSocket blockingSockets(QaModel m, int port, Thread.Builder perConnection) throws Exception {
        var listener = new java.net.ServerSocket(port, 256, java.net.InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().start(() -> {
            while (!listener.isClosed()) {
                try {
                    java.net.Socket socket = listener.accept();
                    socket.setTcpNoDelay(true);
                    perConnection.start(() -> answerEach(m, socket));
                } catch (java.io.IOException closed) {
                    return;
                }
            }
        });
        return listener;
    }

    private static void answerEach(QaModel m, java.net.Socket socket) {
        try (socket) {
            var in = new java.io.BufferedInputStream(socket.getInputStream());
            var out = socket.getOutputStream();
            int matched = 0; // of the "\r\n\r\n" that ends a request's head
            for (int b; (b = in.read()) >= 0; ) {
                matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : (b == '\r' ? 1 : 0);
                if (matched == 4) {
                    byte[] body = answer(m);
                    byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII);
                    byte[] whole = java.util.Arrays.copyOf(head, head.length + body.length);
                    System.arraycopy(body, 0, whole, head.length, body.length);
                    out.write(whole);
                    matched = 0;
                }
            }
        } catch (java.io.IOException gone) {
            // wrk closed the connection
        }
    }

    static io.helidon.webserver.WebServer bareHelidon(QaModel m, int port) {
        return io.helidon.webserver.WebServer.builder().host("127.0.0.1").port(port)
                .routing(r -> r.get("/predictions/{model}", (req, res) -> {
                    res.header(io.helidon.http.HeaderNames.CONTENT_TYPE, "application/json");
                    res.send(answer(m));
                }))
                .build().start();
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
