package lib.store;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Where a model of the catalog is served by preference: its `model_replicas` servers of the
 * highest weight hash(name, server) (rendezvous, or highest-random-weight, hashing). A model's
 * weights over the other servers do not change when one server goes, so removing server k moves
 * only the models k held and adding one moves about 1/S of them. The load client, deploy, status
 * and the server's preferred/foreign metric all call this one function; it imports nothing else
 * of lib/ so that the client and the server carry it alone.
 */
public final class Placement {
    private Placement() {
    }

    /**
     * The preferred servers of a model, best first: min(replicas, servers) distinct indexes in
     * 0..servers-1, the same in every process and JVM.
     */
    public static int[] preferred(String model, int servers, int replicas) {
        if (replicas < 1) {
            throw new IllegalArgumentException("placement needs at least one replica, not " + replicas);
        }
        return Arrays.copyOf(rank(model, servers), Math.min(replicas, servers));
    }

    /** Every server for a model, best first (a client falls back down this order). */
    public static int[] rank(String model, int servers) {
        if (servers < 1) {
            throw new IllegalArgumentException("placement needs at least one server, not " + servers);
        }
        long name = nameHash(model);
        Integer[] order = new Integer[servers];
        long[] weight = new long[servers];
        for (int s = 0; s < servers; s++) {
            order[s] = s;
            weight[s] = weight(name, s);
        }
        // highest weight first; weights are unsigned, ties (never seen in practice) by index
        Arrays.sort(order, (a, b) -> {
            int c = Long.compareUnsigned(weight[b], weight[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] out = new int[servers];
        for (int i = 0; i < servers; i++) {
            out[i] = order[i];
        }
        return out;
    }

    /** Whether server is one of the model's preferred servers. */
    public static boolean prefers(String model, int server, int servers, int replicas) {
        for (int s : preferred(model, servers, replicas)) {
            if (s == server) {
                return true;
            }
        }
        return false;
    }

    /** FNV-1a over the name's UTF-8 bytes: stable, unlike nothing the JDK promises for strings. */
    static long nameHash(String model) {
        long h = 0xcbf29ce484222325L;
        for (byte b : model.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** The weight of one server for a model: the name's hash and the index mixed (SplitMix64's finalizer). */
    static long weight(long nameHash, int server) {
        return mix(nameHash ^ mix(0x9e3779b97f4a7c15L * (server + 1L)));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
