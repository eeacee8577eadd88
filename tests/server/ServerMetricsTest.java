package server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ServerMetricsTest {
    @Test
    void aRequestFinishingDuringAScrapeIsNeverCountedBothInFlightAndDone() {
        AtomicInteger pending = new AtomicInteger(1);
        ServerMetrics[] metrics = new ServerMetrics[1];
        // the one request in flight finishes just after the scrape reads the in-flight count,
        // as the request log does it: in flight falls, then the request is counted done
        metrics[0] = new ServerMetrics(() -> {
            int now = pending.get();
            if (now > 0) {
                pending.decrementAndGet();
                metrics[0].requests.labelValues("model0", "200").inc();
            }
            return now;
        });
        String text = metrics[0].scrape();
        assertEquals(1.0, value(text, "jdo_requests_in_flight ") + value(text, "jdo_requests_total{"), text);
        String next = metrics[0].scrape();
        assertEquals(0.0, value(next, "jdo_requests_in_flight "), next);
        assertEquals(1.0, value(next, "jdo_requests_total{"), next);
    }

    static double value(String text, String prefix) {
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
