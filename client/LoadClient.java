///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVAC_OPTIONS --release 21
//DEPS info.picocli:picocli:4.7.7
//SOURCES Benchmark.java Connection.java Popularity.java Routes.java Targets.java ../lib/report/BenchmarkResult.java ../lib/store/Placement.java
package client;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import lib.report.BenchmarkResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The load client of the test step. seq and rnd send one request at a time like the original's
 * curl scripts; bmk ({@link Benchmark}) measures throughput and latency under load, closed or open
 * loop. Requests are prepared once ({@link Targets}) and sent on kept-alive connections
 * ({@link Connection}), so the client adds little to what it measures.
 */
@Command(name = "load-client", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Sends requests to model servers: seq, rnd, bmk, or idle (waits, for a shell).")
public class LoadClient implements Callable<Integer> {
    /** The original benchmark client's question and context. */
    static final String QUESTION = "how many chapters the book has?";
    static final String CONTEXT = "The number 42 is, in The Hitchhiker's Guide to the Galaxy by Douglas Adams.";
    static final String POST_BODY = json(new Question(QUESTION, CONTEXT));

    /** The request body of the original's --post mode. */
    record Question(String seq_0, String seq_1) {
    }

    @Parameters(index = "0", paramLabel = "TEST", description = "seq, rnd, bmk or idle")
    String test;

    @Option(names = "--server", paramLabel = "URL", description = "Base URL of a model server; repeat for each")
    List<URI> servers = List.of();

    @Option(names = "--models", defaultValue = "1", description = "Models per server (model0..modelN-1)")
    int models;

    @Option(names = "--name", defaultValue = "load-client", description = "Client name, in results and file names")
    String name;

    @Option(names = "--requests", defaultValue = "30", description = "rnd: number of requests")
    int requests;

    @Option(names = "--frequency", defaultValue = "0.01", description = "seq, rnd: seconds between requests")
    double frequency;

    @Option(names = "--threads", defaultValue = "2", description = "bmk closed loop: worker threads, one connection to each server each")
    int threads;

    @Option(names = "--connections", defaultValue = "64",
            description = "bmk open loop: at most this many requests in flight (connections to each server)")
    int connections;

    @Option(names = "--duration", defaultValue = "180", description = "bmk: measured seconds")
    double duration;

    @Option(names = "--interval", defaultValue = "10", description = "bmk: seconds between progress lines")
    double interval;

    @Option(names = "--warmup", defaultValue = "5", description = "bmk: warm-up seconds, not counted")
    double warmup;

    @Option(names = "--rate", defaultValue = "0", description = "bmk: requests per second (open loop); 0 = closed loop")
    double rate;

    @Option(names = "--post", description = "Send POST requests with a JSON body instead of GET")
    boolean post;

    @Option(names = "--timeout", defaultValue = "30", description = "Seconds to connect, or to wait for bytes of an answer, before a request fails")
    double timeout;

    @Option(names = "--catalog", paramLabel = "NAME,...", split = ",",
            description = "A store's catalog: requests go to /predictions/NAME (instead of --models' model<i>)")
    List<String> catalog = List.of();

    @Option(names = "--replicas", defaultValue = "2", description = "Catalog: preferred servers of each model (rendezvous placement)")
    int replicas;

    @Option(names = "--skew", defaultValue = "0", description = "Catalog: models asked for by a Zipf law of this exponent; 0 = uniform")
    double skew;

    @Option(names = "--routing", defaultValue = "placement",
            description = "Catalog: placement (each model to its preferred servers) or random (any server, to compare)")
    String routing;

    @Option(names = "--results", paramLabel = "DIR", description = "bmk: write <name>.hlog and <name>.json here")
    Path results;

    @Option(names = "--max-error-rate", paramLabel = "FRACTION", defaultValue = "0",
            description = "Exit 1 when more than this share of requests failed (0 to 1), or when none succeeded")
    double maxErrorRate;

    PrintStream out = System.out;
    private Targets targets;
    private Connection[] pool;

    public static void main(String... args) {
        System.exit(new CommandLine(new LoadClient()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (!List.of("seq", "rnd", "bmk", "idle").contains(test)) {
            throw usage("unknown test '" + test + "': use seq, rnd, bmk or idle");
        }
        if (test.equals("idle")) {
            out.println("idle: waiting for a shell (test.java exec) or a stop (test.java stop)");
            out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
        if (servers.isEmpty() || models < 1) {
            throw usage("give at least one --server and --models of 1 or more");
        }
        if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) {
            throw usage("--max-error-rate must be from 0 to 1, not " + maxErrorRate);
        }
        if (threads < 1 || connections < 1 || !(duration > 0) || !(interval > 0) || !(warmup >= 0) || !(rate >= 0)
                || !(timeout > 0) || !(frequency >= 0) || requests < 0) {
            throw usage("--threads and --connections must be 1 or more, --duration, --interval and --timeout more than 0,"
                    + " --warmup, --rate, --frequency and --requests 0 or more");
        }
        if (replicas < 1 || !(skew >= 0) || Double.isInfinite(skew) || !List.of("placement", "random").contains(routing)) {
            throw usage("--replicas must be 1 or more, --skew 0 or more, --routing placement or random");
        }
        try {
            targets = catalog.isEmpty() ? new Targets(servers, models, post ? POST_BODY : null)
                    : new Targets(servers, catalog, post ? POST_BODY : null, new Routes(catalog, servers.size(), replicas, skew,
                            Routes.Routing.valueOf(routing.toUpperCase(Locale.ROOT))));
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        return switch (test) {
            case "seq" -> sequential();
            case "rnd" -> random();
            default -> benchmark();
        };
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(new CommandLine(this), message);
    }

    /** bmk: the benchmark, and its verdict. */
    int benchmark() throws IOException, InterruptedException {
        BenchmarkResult r = new Benchmark(new Benchmark.Settings(name, threads, connections, rate, warmup, duration, interval,
                timeoutMillis(), results), targets, out).run();
        return verdict(r.requests(), r.errors());
    }

    private int timeoutMillis() {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, Math.round(timeout * 1000)));
    }

    /** One request to every model of every server, in order; a catalog's models once each, on their best server. */
    int sequential() {
        int failed = 0;
        int sent = 0;
        for (int s = 0; s < servers.size(); s++) {
            for (int m = 0; m < targets.models(); m++) {
                // a catalog's model goes once, to its best server; model<i> to every server
                if (targets.only(m) < 0 || targets.only(m) == s) {
                    failed += report(targets.get(s, m)) ? 0 : 1;
                    sent++;
                    pause(frequency);
                }
            }
        }
        out.printf("seq: %d requests, %d failed%n", sent, failed);
        return verdict(sent, failed);
    }

    /** num_requests requests to a random server and model, `frequency` seconds apart. */
    int random() {
        int failed = 0;
        SplittableRandom random = new SplittableRandom();
        for (int i = 0; i < requests; i++) {
            failed += report(targets.pick(random)) ? 0 : 1;
            pause(frequency);
        }
        out.printf("rnd: %d requests, %d failed%n", requests, failed);
        return verdict(requests, failed);
    }

    /**
     * The exit code of a finished test: 0 when at least one request succeeded and the share of
     * failed ones is within --max-error-rate; otherwise 1, with a line saying why.
     */
    int verdict(long sent, long failed) {
        String why = null;
        if (sent == 0) {
            why = "no request was measured";
        } else if (failed >= sent) {
            why = "no request succeeded (" + failed + " of " + sent + " failed)";
        } else if ((double) failed / sent > maxErrorRate) {
            why = String.format(Locale.ROOT, "%d of %d requests failed (error rate %.4f), more than --max-error-rate %s allows",
                    failed, sent, (double) failed / sent, java.math.BigDecimal.valueOf(maxErrorRate).stripTrailingZeros().toPlainString());
        }
        if (why == null) {
            return 0;
        }
        out.printf("%s %s FAILED: %s%n", test, name, why);
        out.flush();
        return 1;
    }

    /** Sends one request on a connection to its server (kept between calls) and prints its outcome. */
    private boolean report(Targets.Target t) {
        if (pool == null) {
            pool = new Connection[servers.size()];
        }
        Connection c = pool[t.server()];
        if (c == null) {
            c = pool[t.server()] = new Connection(t.host(), t.port(), timeoutMillis());
        }
        long start = System.nanoTime();
        String status;
        String body;
        try {
            status = Integer.toString(c.send(t.request()));
            body = c.body().strip();
        } catch (IOException e) {
            status = e.getClass().getSimpleName();
            body = String.valueOf(e.getMessage());
        }
        out.printf(Locale.ROOT, "server %s model%d: %s %.1f ms %s%n", servers.get(t.server()), t.model(), status,
                (System.nanoTime() - start) / 1e6, body);
        out.flush();
        return status.equals("200");
    }

    private static String json(Object value) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void pause(double seconds) {
        if (seconds > 0) {
            Benchmark.waitUntil(System.nanoTime() + Benchmark.nanos(seconds));
        }
    }
}
