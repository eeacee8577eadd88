package lib.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The one predictor pool: QaModel takes from it, the server's model copies poll it. */
class PredictorPoolTest {
    /** Stands in for a predictor: counts its closes. */
    static final class Fake implements AutoCloseable {
        int closes;

        @Override
        public void close() {
            closes++;
        }
    }

    @Test
    void leasesEachPredictorToOneCallerAtATimeAndTheLastGivenBackFirst() {
        List<Fake> made = new ArrayList<>();
        PredictorPool<Fake> pool = new PredictorPool<>(3, () -> {
            Fake f = new Fake();
            made.add(f);
            return f;
        });
        assertEquals(3, pool.size());
        Fake a = pool.poll();
        Fake b = pool.poll();
        Fake c = pool.poll();
        assertEquals(new HashSet<>(made), new HashSet<>(List.of(a, b, c)), "three distinct predictors");
        assertNull(pool.poll(), "all leased: poll does not wait");
        pool.release(b);
        assertSame(b, pool.poll());
        pool.release(a);
        pool.release(c);
        assertSame(c, pool.poll(), "the one given back last is leased first");
    }

    @Test
    void takeWaitsForAPredictorGivenBack() throws Exception {
        PredictorPool<Fake> pool = new PredictorPool<>(1, Fake::new);
        Fake only = pool.poll();
        CompletableFuture<Fake> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return pool.take();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        pool.release(only);
        assertSame(only, waiting.get(30, TimeUnit.SECONDS));
    }

    @Test
    void aPredictorOfAnotherPoolOrGivenBackAfterCloseIsDropped() throws Exception {
        PredictorPool<Fake> pool = new PredictorPool<>(1, Fake::new);
        Fake leased = pool.poll();
        pool.release(new Fake());
        assertNull(pool.poll(), "a stranger is not leased");
        pool.close();
        assertEquals(1, leased.closes, "close closes a leased predictor too");
        pool.release(leased);
        assertNull(pool.poll());
        IllegalStateException e = assertThrows(IllegalStateException.class, pool::take);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        pool.close();
        assertEquals(1, leased.closes, "closed once");
    }

    @Test
    void aTakeWaitingWhenThePoolClosesFails() throws Exception {
        PredictorPool<Fake> pool = new PredictorPool<>(1, Fake::new);
        pool.poll();
        CompletableFuture<Throwable> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                pool.take();
                return null;
            } catch (InterruptedException | RuntimeException e) {
                return e;
            }
        });
        // whether the take is waiting yet or not, it ends in the same failure
        pool.close();
        assertTrue(waiting.get(30, TimeUnit.SECONDS) instanceof IllegalStateException);
    }

    @Test
    void anEmptyPoolLeasesNothingAndAFailedMakeClosesWhatWasMade() {
        PredictorPool<Fake> empty = new PredictorPool<>(0, Fake::new);
        assertEquals(0, empty.size());
        assertNull(empty.poll());
        assertThrows(IllegalStateException.class, empty::take);

        List<Fake> made = new ArrayList<>();
        RuntimeException e = assertThrows(RuntimeException.class, () -> new PredictorPool<>(3, () -> {
            if (made.size() == 2) {
                throw new ModelException("no memory for a third predictor");
            }
            Fake f = new Fake();
            made.add(f);
            return f;
        }));
        assertEquals("no memory for a third predictor", e.getMessage());
        assertEquals(List.of(1, 1), made.stream().map(f -> f.closes).toList());
    }
}
