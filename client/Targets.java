package client;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * What the client asks: every server's models, each request prepared once as the bytes it sends,
 * and the choice of the next one. The choice lives here alone ({@link #pick}), so another way of
 * choosing (a popularity law over the models, say) changes this class only.
 */
final class Targets {
    /** One server and model: where to connect and the request to write there. */
    record Target(int server, int model, String host, int port, String uri, byte[] request) {
    }

    private final List<URI> servers;
    private final int models;
    private final Target[] targets;
    /** A catalog's routes (its models by name); null: model0..model(models-1), all uniformly at random. */
    private final Routes routes;

    /** Requests to model0..model(models-1) of each server; GET, or POST with `postBody` when it is not null. */
    Targets(List<URI> servers, int models, String postBody) {
        this(servers, java.util.stream.IntStream.range(0, models).mapToObj(m -> "model" + m).toList(), postBody, null);
    }

    /**
     * Requests to /predictions/NAME of each model of a catalog on each server, the next one chosen
     * by `routes` (its popularity, its preferred servers).
     */
    Targets(List<URI> servers, List<String> catalog, String postBody, Routes routes) {
        this.servers = List.copyOf(servers);
        this.models = catalog.size();
        this.routes = routes;
        List<Target> all = new ArrayList<>();
        for (int s = 0; s < servers.size(); s++) {
            URI base = servers.get(s);
            if (!"http".equalsIgnoreCase(base.getScheme()) || base.getHost() == null) {
                throw new IllegalArgumentException("--server " + base + " is not an http://HOST[:PORT] URL");
            }
            int port = base.getPort() < 0 ? 80 : base.getPort();
            String path = (base.getRawPath() == null ? "" : base.getRawPath()).replaceAll("/+$", "");
            String hostHeader = base.getPort() < 0 ? base.getHost() : base.getHost() + ":" + port;
            for (int m = 0; m < models; m++) {
                String target = path + "/predictions/" + catalog.get(m);
                all.add(new Target(s, m, base.getHost(), port, base.toString().replaceAll("/+$", "") + "/predictions/" + catalog.get(m),
                        request(target, hostHeader, postBody)));
            }
        }
        this.targets = all.toArray(Target[]::new);
    }

    private static byte[] request(String target, String host, String postBody) {
        if (postBody == null) {
            return ("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        }
        byte[] body = postBody.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST " + target + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] all = java.util.Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    int servers() {
        return servers.size();
    }

    int size() {
        return targets.length;
    }

    /** Server s's model m. */
    Target get(int server, int model) {
        return targets[server * models + model];
    }

    int models() {
        return models;
    }

    /** Whether the requests go to a store's catalog by name (and cold loads are told apart). */
    boolean catalog() {
        return routes != null;
    }

    /** seq's server for model m: every server without a catalog (-1), else the model's best. */
    int only(int model) {
        return routes == null ? -1 : routes.first(model);
    }

    /**
     * The next request of a benchmark or of rnd: a server and a model, each uniformly at random;
     * with a catalog, a model by its popularity on one of its preferred servers.
     */
    Target pick(RandomGenerator random) {
        if (routes != null) {
            int m = routes.model(random);
            return get(routes.server(m, random), m);
        }
        return targets[random.nextInt(targets.length)];
    }
}
