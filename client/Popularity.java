package client;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Which model of the catalog the next request asks for: model k (0-based, in catalog order) with
 * probability proportional to 1 / (k + 1)^skew, a Zipf law; skew 0 is uniform. Drawn by binary
 * search in the cumulative distribution, computed once.
 */
public final class Popularity {
    private final double[] cumulative;

    public Popularity(int models, double skew) {
        if (models < 1 || !(skew >= 0) || Double.isInfinite(skew)) {
            throw new IllegalArgumentException("a popularity law needs 1 model or more and a skew of 0 or more, not " + models + " and " + skew);
        }
        cumulative = new double[models];
        double sum = 0;
        for (int k = 0; k < models; k++) {
            sum += Math.pow(k + 1, -skew);
            cumulative[k] = sum;
        }
        for (int k = 0; k < models; k++) {
            cumulative[k] /= sum;
        }
        cumulative[models - 1] = 1;
    }

    int models() {
        return cumulative.length;
    }

    /** The probability of model k. */
    double probability(int k) {
        return k == 0 ? cumulative[0] : cumulative[k] - cumulative[k - 1];
    }

    /** The next model. */
    public int pick(RandomGenerator random) {
        double u = random.nextDouble();
        int i = Arrays.binarySearch(cumulative, u);
        // an exact hit is model i's upper bound (u < cumulative[i] belongs to i); otherwise the insertion point
        i = i >= 0 ? i + 1 : -i - 1;
        return Math.min(i, cumulative.length - 1);
    }
}
