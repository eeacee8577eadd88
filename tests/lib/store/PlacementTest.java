package lib.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Rendezvous placement as a property over many names and server counts: stable, in range,
 * balanced, and a server removed moves only its own models.
 */
class PlacementTest {
    static final List<String> NAMES = IntStream.range(0, 5000).mapToObj(i -> String.format("bert-%04d", i)).toList();

    @Test
    void preferredServersAreDistinctInRangeAndTheSameOnEveryCall() {
        for (int servers = 1; servers <= 12; servers++) {
            for (int replicas = 1; replicas <= 4; replicas++) {
                for (String name : NAMES.subList(0, 300)) {
                    int[] p = Placement.preferred(name, servers, replicas);
                    assertEquals(Math.min(servers, replicas), p.length);
                    assertEquals(p.length, Arrays.stream(p).distinct().count(), name + " " + Arrays.toString(p));
                    int n = servers;
                    assertTrue(Arrays.stream(p).allMatch(s -> s >= 0 && s < n), Arrays.toString(p));
                    assertArrayEquals(p, Placement.preferred(name, servers, replicas));
                    assertArrayEquals(p, Arrays.copyOf(Placement.rank(name, servers), p.length), "preferred is the head of rank");
                    for (int s = 0; s < servers; s++) {
                        int server = s;
                        assertEquals(Arrays.stream(p).anyMatch(x -> x == server), Placement.prefers(name, s, servers, replicas));
                    }
                }
            }
        }
    }

    @Test
    void theHashIsFixedAcrossProcesses() {
        // the client, deploy and the servers run in different JVMs: the function must not depend on one
        assertArrayEquals(new int[] {3, 0}, Placement.preferred("tiny-bert-qa-v15", 4, 2));
        assertArrayEquals(new int[] {0, 4, 3}, Placement.preferred("bert-0001", 6, 3));
    }

    @Test
    void eachServerGetsItsShareOfTheModels() {
        for (int servers : new int[] {2, 3, 5, 8, 16}) {
            for (int replicas : new int[] {1, 2, 3}) {
                int r = Math.min(servers, replicas);
                int[] held = new int[servers];
                for (String name : NAMES) {
                    for (int s : Placement.preferred(name, servers, replicas)) {
                        held[s]++;
                    }
                }
                double expected = (double) NAMES.size() * r / servers;
                // within five binomial standard deviations: chance alone, where a biased hash is far outside
                double sigma = Math.sqrt(expected * (1 - (double) r / servers));
                for (int s = 0; s < servers; s++) {
                    assertTrue(Math.abs(held[s] - expected) <= 5 * sigma,
                            servers + " servers, " + replicas + " replicas: " + Arrays.toString(held) + " around " + expected);
                }
            }
        }
    }

    @Test
    void removingAServerMovesOnlyItsModels() {
        for (int servers = 2; servers <= 10; servers++) {
            for (int replicas = 1; replicas <= 3; replicas++) {
                int gone = servers - 1; // scale-down removes the last index; the others keep theirs
                int moved = 0;
                for (String name : NAMES) {
                    Set<Integer> before = set(Placement.preferred(name, servers, replicas));
                    Set<Integer> after = set(Placement.preferred(name, servers - 1, replicas));
                    if (!before.contains(gone)) {
                        assertEquals(before, after, name + " did not live on server " + gone + " and must not move");
                    } else {
                        moved++;
                        Set<Integer> kept = new HashSet<>(before);
                        kept.remove(gone);
                        assertTrue(after.containsAll(kept), name + ": " + before + " -> " + after + " moved more than the lost server");
                    }
                }
                double share = (double) moved / NAMES.size();
                double expected = (double) Math.min(servers, replicas) / servers;
                double sigma = Math.sqrt(expected * (1 - expected) / NAMES.size());
                assertTrue(Math.abs(share - expected) <= 5 * sigma, servers + "/" + replicas + ": moved " + share);
            }
        }
    }

    @Test
    void theDocsExampleIsWhatTheFunctionGives() throws java.io.IOException {
        String doc = java.nio.file.Files.readString(java.nio.file.Path.of("docs/many-models.md"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^(bert-\\d{4}) .* (\\d),(\\d)$").matcher(doc);
        int rows = 0;
        while (m.find()) {
            rows++;
            assertArrayEquals(new int[] {Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))}, Placement.preferred(m.group(1), 3, 2),
                    m.group());
        }
        assertEquals(4, rows, "the example's rows in docs/many-models.md");
    }

    @Test
    void nonsenseCountsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Placement.preferred("m", 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Placement.preferred("m", 3, 0));
    }

    static Set<Integer> set(int[] a) {
        Set<Integer> s = new HashSet<>();
        for (int x : a) {
            s.add(x);
        }
        return s;
    }
}
