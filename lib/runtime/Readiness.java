package lib.runtime;

//SOURCES ../cli/CliError.java ../cli/Console.java

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import lib.cli.CliError;
import lib.cli.Console;

/**
 * Waits until servers answer their readiness endpoint, with progress, for every runtime. A server
 * that dies while starting fails the wait at once with the reason its runtime gives (a log tail).
 */
public final class Readiness {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private Readiness() {
    }

    /** True when GET url answers 200 within a couple of seconds. */
    public static boolean isReady(URI url) {
        try {
            HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(3)).GET().build();
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Polls each server's readiness URL until all are ready. {@code failure} returns why a server
     * can no longer become ready (it exited, ...), or null while there is hope.
     */
    public static void await(Map<String, URI> readinessUrls, Duration timeout, Function<String, String> failure) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long start = System.nanoTime();
        long lastCount = -1;
        long lastPrinted = 0;
        Map<String, Boolean> ready = new LinkedHashMap<>();
        readinessUrls.keySet().forEach(name -> ready.put(name, false));
        while (true) {
            for (Map.Entry<String, URI> e : readinessUrls.entrySet()) {
                if (!ready.get(e.getKey())) {
                    String reason = failure.apply(e.getKey());
                    if (reason != null) {
                        Console.progressDone();
                        throw CliError.failed(e.getKey() + " did not start: " + reason);
                    }
                    ready.put(e.getKey(), isReady(e.getValue()));
                }
            }
            long readyCount = ready.values().stream().filter(b -> b).count();
            long elapsed = (System.nanoTime() - start) / 1_000_000_000L;
            // on a terminal the line rewrites itself; in logs, print changes and every 10 s
            if (System.console() != null || readyCount != lastCount || elapsed - lastPrinted >= 10) {
                Console.progress("%d/%d ready after %d s", readyCount, ready.size(), elapsed);
                lastCount = readyCount;
                lastPrinted = elapsed;
            }
            if (readyCount == ready.size()) {
                Console.progressDone();
                return;
            }
            if (System.nanoTime() > deadline) {
                Console.progressDone();
                String waiting = String.join(", ", ready.entrySet().stream().filter(x -> !x.getValue()).map(Map.Entry::getKey).toList());
                throw CliError.failed("not ready after " + timeout.toSeconds() + " s (deploy_timeout): " + waiting);
            }
            try {
                Thread.sleep(elapsed < 10 ? 500 : 2000);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw CliError.failed("interrupted while waiting for readiness");
            }
        }
    }
}
