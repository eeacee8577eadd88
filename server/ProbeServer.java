package server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The probe port (PROBE_PORT): liveness, readiness, metrics and /models, served by the JDK's
 * HttpServer on two platform threads of their own. The main port's virtual threads share their
 * carriers (one per core) with every prediction: under a flood, a probe there waits its turn behind
 * hundreds of requests being read and refused, and a /metrics scrape on a virtual-thread listener
 * took 62 ms p99 under the 400-connection overload (docs/benchmarks.md). The OS schedules these
 * threads beside the carriers instead of after them.
 */
final class ProbeServer {
    private static final int THREADS = 2;

    private final HttpServer http;
    private final ExecutorService threads;

    ProbeServer(String host, int port, Map<String, Supplier<Reply>> routes) throws IOException {
        http = HttpServer.create(new InetSocketAddress(host, port), 64);
        threads = Executors.newFixedThreadPool(THREADS, Thread.ofPlatform().name("probe-", 0).daemon().factory());
        http.setExecutor(threads);
        http.createContext("/", exchange -> {
            try (exchange) {
                send(exchange, reply(routes, exchange.getRequestMethod(), exchange.getRequestURI().getPath()));
            }
        });
        http.start();
    }

    private static Reply reply(Map<String, Supplier<Reply>> routes, String method, String path) {
        Supplier<Reply> route = routes.get(path);
        if (route == null) {
            return Reply.json(404, Map.of("detail", "not found: " + path));
        }
        if (!method.equals("GET")) {
            return Reply.json(405, Map.of("detail", "method " + method + " is not allowed here; use GET"));
        }
        try {
            return route.get();
        } catch (RuntimeException e) {
            ModelServer.log("level=error event=unhandled path=%s error=%s", path, e.toString());
            return Reply.json(500, Map.of("detail", "internal error: " + e.getClass().getSimpleName()));
        }
    }

    private static void send(HttpExchange exchange, Reply reply) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", reply.contentType());
        exchange.sendResponseHeaders(reply.status(), reply.body().length);
        exchange.getResponseBody().write(reply.body());
    }

    int port() {
        return http.getAddress().getPort();
    }

    void stop() {
        http.stop(0);
        threads.shutdownNow();
    }
}
