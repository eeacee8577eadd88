package client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import lib.store.Placement;
import org.junit.jupiter.api.Test;

class RoutesTest {
    static final List<String> MODELS = IntStream.range(0, 400).mapToObj(i -> "bert-" + i).toList();

    @Test
    void placementSendsEachModelOnlyToItsPreferredServersAndUsesThemAll() {
        Routes routes = new Routes(MODELS, 5, 2, 1.0, Routes.Routing.PLACEMENT);
        SplittableRandom r = new SplittableRandom(7);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            int m = routes.model(r);
            int s = routes.server(m, r);
            assertTrue(Placement.prefers(MODELS.get(m), s, 5, 2), MODELS.get(m) + " sent to server " + s);
            seen.add(m + "@" + s);
        }
        // the most popular models are asked often enough to reach both their preferred servers
        for (int m = 0; m < 10; m++) {
            for (int s : Placement.preferred(MODELS.get(m), 5, 2)) {
                assertTrue(seen.contains(m + "@" + s), "model " + m + " never sent to its preferred server " + s);
            }
            assertEquals(Placement.preferred(MODELS.get(m), 5, 2)[0], routes.first(m));
        }
    }

    @Test
    void randomRoutingSendsAModelToEveryServer() {
        Routes routes = new Routes(MODELS, 4, 2, 0, Routes.Routing.RANDOM);
        SplittableRandom r = new SplittableRandom(7);
        int[] count = new int[4];
        for (int i = 0; i < 4000; i++) {
            count[routes.server(0, r)]++;
        }
        assertTrue(Arrays.stream(count).allMatch(c -> c > 800), Arrays.toString(count));
    }

    @Test
    void moreReplicasThanServersUseEveryServer() {
        Routes routes = new Routes(List.of("only"), 2, 5, 0, Routes.Routing.PLACEMENT);
        SplittableRandom r = new SplittableRandom(3);
        Set<Integer> servers = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            servers.add(routes.server(0, r));
        }
        assertEquals(Set.of(0, 1), servers);
    }
}
