package bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The model server with a JDK HttpServer beside it on JDK_PROBE_PORT answering /health/live as the
 * probe port does, on two platform threads of its own: the other way issue 25 offered to keep probes
 * from starving, measured against the Jetty probe connector under the same flood (ServingBench overload).
 */
public final class JdkProbe {
    public static void main(String... args) throws IOException {
        HttpServer probes = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(System.getenv("JDK_PROBE_PORT"))), 64);
        byte[] live = "{\"status\":\"alive\"}".getBytes(StandardCharsets.UTF_8);
        probes.createContext("/health/live", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, live.length);
            try (OutputStream body = exchange.getResponseBody()) {
                body.write(live);
            }
        });
        probes.setExecutor(Executors.newFixedThreadPool(2, Thread.ofPlatform().name("jdk-probes-", 0).factory()));
        probes.start();
        server.ModelServer.main(args);
    }
}
