package client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import lib.store.Placement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The load client against three loopback servers that record what they are asked: a catalog's
 * requests reach only each model's preferred servers (lib/store/Placement), by name; random
 * routing reaches every server; seq asks each model once, on its best server.
 */
class CatalogRoutingTest {
    static final List<String> CATALOG = IntStream.range(0, 60).mapToObj(i -> "bert-" + i).toList();
    final List<HttpServer> servers = new ArrayList<>();
    /** "server/model" -> requests received. */
    final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();

    List<String> start(int n) throws Exception {
        List<String> args = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int index = i;
            HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
            s.createContext("/predictions/", exchange -> {
                String model = exchange.getRequestURI().getPath().substring("/predictions/".length());
                asked.computeIfAbsent(index + "/" + model, k -> new AtomicInteger()).incrementAndGet();
                byte[] body = "\"42\"".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            s.start();
            servers.add(s);
            args.addAll(List.of("--server", "http://127.0.0.1:" + s.getAddress().getPort()));
        }
        return args;
    }

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    int run(List<String> serverArgs, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(serverArgs);
        all.addAll(List.of("--catalog", String.join(",", CATALOG)));
        LoadClient client = new LoadClient();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        client.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        int rc = new CommandLine(client).execute(all.toArray(String[]::new));
        assertEquals(0, rc, out.toString(StandardCharsets.UTF_8));
        return rc;
    }

    @Test
    void placementSendsEachModelOnlyToItsPreferredServers() throws Exception {
        List<String> s = start(3);
        run(s, "rnd", "--requests", "600", "--frequency", "0", "--replicas", "1", "--skew", "1.0");
        long total = asked.values().stream().mapToLong(AtomicInteger::get).sum();
        assertEquals(600, total);
        asked.forEach((key, count) -> {
            String[] sm = key.split("/");
            assertTrue(CATALOG.contains(sm[1]), key);
            assertTrue(Placement.prefers(sm[1], Integer.parseInt(sm[0]), 3, 1), key + " is not where " + sm[1] + " is placed");
        });
        // Zipf s=1: the first model is asked far more than the last ones
        int first = asked.getOrDefault(Placement.preferred("bert-0", 3, 1)[0] + "/bert-0", new AtomicInteger()).get();
        assertTrue(first > 600 / 10, "bert-0 asked " + first + " times of 600");
    }

    @Test
    void bmkRoutesByPlacementAndRandomRoutingReachesEveryServer() throws Exception {
        List<String> s = start(3);
        run(s, "bmk", "--threads", "2", "--duration", "1", "--warmup", "0", "--interval", "1", "--replicas", "2");
        asked.forEach((key, count) -> {
            String[] sm = key.split("/");
            assertTrue(Placement.prefers(sm[1], Integer.parseInt(sm[0]), 3, 2), key);
        });
        asked.clear();
        run(s, "rnd", "--requests", "600", "--frequency", "0", "--routing", "random");
        assertTrue(asked.keySet().stream().anyMatch(k -> !Placement.prefers(k.split("/")[1], Integer.parseInt(k.split("/")[0]), 3, 1)),
                "random routing also asks servers a model is not placed on");
        for (int i = 0; i < 3; i++) {
            int server = i;
            assertTrue(asked.keySet().stream().anyMatch(k -> k.startsWith(server + "/")), "server " + i + " asked");
        }
    }

    @Test
    void seqAsksEveryModelOnceOnItsBestServer() throws Exception {
        List<String> s = start(3);
        run(s, "seq", "--frequency", "0", "--replicas", "2");
        assertEquals(CATALOG.size(), asked.size());
        for (String m : CATALOG) {
            assertEquals(1, asked.get(Placement.preferred(m, 3, 2)[0] + "/" + m).get(), m);
        }
    }
}
