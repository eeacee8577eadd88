package client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PopularityTest {
    @Test
    void zipfOfSkewOneGivesModelKOneOverKOfTheFirstsShare() {
        Popularity p = new Popularity(1000, 1.0);
        double harmonic = 0;
        for (int k = 1; k <= 1000; k++) {
            harmonic += 1.0 / k;
        }
        assertEquals(1 / harmonic, p.probability(0), 1e-12);
        assertEquals(p.probability(0) / 10, p.probability(9), 1e-12);
        assertDrawsFollow(p, 400_000);
    }

    @Test
    void skewZeroIsUniform() {
        Popularity p = new Popularity(50, 0);
        for (int k = 0; k < 50; k++) {
            assertEquals(1 / 50.0, p.probability(k), 1e-12);
        }
        assertDrawsFollow(p, 200_000);
    }

    @Test
    void oneModelIsAlwaysPicked() {
        Popularity p = new Popularity(1, 1.5);
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 1000; i++) {
            assertEquals(0, p.pick(r));
        }
    }

    @Test
    void nonsenseIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Popularity(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Popularity(10, -0.5));
        assertThrows(IllegalArgumentException.class, () -> new Popularity(10, Double.NaN));
    }

    /** Each of the first 20 models drawn as often as its probability says, within five standard deviations. */
    static void assertDrawsFollow(Popularity p, int draws) {
        SplittableRandom r = new SplittableRandom(42);
        int[] seen = new int[p.models()];
        for (int i = 0; i < draws; i++) {
            seen[p.pick(r)]++;
        }
        for (int k = 0; k < Math.min(20, p.models()); k++) {
            double expected = draws * p.probability(k);
            double sigma = Math.sqrt(expected * (1 - p.probability(k)));
            assertTrue(Math.abs(seen[k] - expected) <= 5 * sigma, "model " + k + ": " + seen[k] + " draws, expected " + expected);
        }
        assertEquals(draws, java.util.Arrays.stream(seen).sum());
    }
}
