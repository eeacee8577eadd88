package client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import lib.report.BenchmarkResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * A catalog's cold loads told apart: a server that says X-Model-Load: cold on the first request
 * for each model (as a model server that loaded it first does); bmk's result carries them, and
 * bma's line counts the hits and the cold loads.
 */
class ColdLoadsTest {
    HttpServer server;

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void theFirstRequestOfEachModelIsAColdLoadAndBmaSaysSo() throws Exception {
        Set<String> loaded = ConcurrentHashMap.newKeySet();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        server.createContext("/predictions/", exchange -> {
            if (loaded.add(exchange.getRequestURI().getPath())) {
                exchange.getResponseHeaders().add("X-Model-Load", "cold");
            }
            byte[] body = "\"42\"".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        LoadClient client = new LoadClient();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        client.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        int rc = new CommandLine(client).execute("bmk", "--server", "http://127.0.0.1:" + server.getAddress().getPort(), "--catalog",
                "a,b,c,d,e", "--threads", "1", "--duration", "1", "--warmup", "0", "--interval", "1");
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        BenchmarkResult r = BenchmarkResult.parse(text.lines().filter(l -> l.startsWith(BenchmarkResult.PREFIX)).findFirst().orElseThrow());
        assertEquals(5, r.coldLoads().orElseThrow().getTotalCount(), "one cold load per model");
        assertTrue(r.requests() > 5, text);
        String line = lib.report.BenchmarkReport.catalogLine(lib.report.BenchmarkReport.aggregate(java.util.Map.of("c0", r.toLine()))).orElseThrow();
        assertTrue(line.startsWith("catalog: hit ratio ") && line.contains("(" + (r.requests() - 5) + " of " + r.requests() + " requests"), line);

        BenchmarkResult plain = BenchmarkResult.parse(r.toLine().replaceAll(",\"coldHistogram\":\"[^\"]*\"", ""));
        assertTrue(plain.coldLoads().isEmpty(), "a result of an older client has none");
    }
}
