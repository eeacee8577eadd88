package client;

import java.util.List;
import java.util.random.RandomGenerator;
import lib.store.Placement;

/**
 * Where the next request of a catalog goes: a model by its {@link Popularity}, then one of that
 * model's preferred servers ({@link Placement}, the function deploy and the servers use), or any
 * server when routing is random (the baseline placement is measured against). Server i is the
 * i-th --server, as deploy numbers them.
 */
final class Routes {
    /** placement: a model's preferred servers; random: any server. */
    enum Routing { PLACEMENT, RANDOM }

    private final int servers;
    private final int[][] preferred;
    private final Popularity popularity;
    private final Routing routing;

    Routes(List<String> models, int servers, int replicas, double skew, Routing routing) {
        this.servers = servers;
        this.routing = routing;
        this.popularity = new Popularity(models.size(), skew);
        this.preferred = new int[models.size()][];
        for (int m = 0; m < models.size(); m++) {
            preferred[m] = Placement.preferred(models.get(m), servers, replicas);
        }
    }

    /** The model of the next request (index in the catalog). */
    int model(RandomGenerator random) {
        return popularity.pick(random);
    }

    /** The server a request for model m goes to. */
    int server(int m, RandomGenerator random) {
        if (routing == Routing.RANDOM) {
            return random.nextInt(servers);
        }
        int[] p = preferred[m];
        return p.length == 1 ? p[0] : p[random.nextInt(p.length)];
    }

    /** The server of model m's first request in seq: its best. */
    int first(int m) {
        return preferred[m][0];
    }
}
