package lib.runtime;

//SOURCES ../report/BenchmarkResult.java ../cli/CliError.java ../config/Config.java ../cli/Console.java LocalRuntime.java ../config/Names.java Readiness.java ServerEnv.java LoadClientArgs.java

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import lib.cli.CliError;
import lib.cli.Console;
import lib.config.Config;
import lib.config.Names;
import lib.report.BenchmarkResult;

/**
 * deploy run and test run, decided once for every runtime that starts servers and clients itself
 * (local processes, containers): which to start, on which ports, how long to wait, what to remove
 * when a start fails, how to judge the clients, how to stop them. Each runtime supplies only the mechanics: start,
 * exited, tail, remove, exit code ({@link Mechanics}). Kubernetes leaves starting and waiting to
 * its API, and shares the end of a test run ({@link #finishTest}).
 */
final class Orchestrator {
    /** What a runtime does on the orchestrator's behalf. */
    interface Mechanics {
        /** local, docker: for messages. */
        String runtime();

        /** What the servers run (a pack folder, an image), for messages. */
        String serverArtifact();

        /** Everything deploy run needs before it starts anything (a pack, an image, a network). */
        void prepareServers();

        /** Server i as it is now: empty when there is none; refuses a name that is not ours. */
        Optional<Instance> server(int i);

        /** Clears what is left of server i when it is not running (a stopped container). */
        void clearExited(int i, Instance left);

        /** Starts server i, published on hostPort of this machine. */
        void startServer(int i, int hostPort);

        /** Whether the server or client of that name still runs. */
        boolean running(String name);

        /** Why it is not running, e.g. " (exit 1)"; empty when unknown. */
        String exitDetail(String name);

        /** Its last lines of output. */
        String tail(String name, int lines);

        /** Stops and removes them, SIGTERM first with graceSeconds to finish. */
        void remove(List<String> names, int graceSeconds);

        /** Everything test run needs: the client image or jar. */
        void prepareClients();

        /** Names of this project's clients left from earlier runs. */
        List<String> clients();

        /** Names of this project's servers, running or left. */
        List<String> servers();

        /** What is left to clear once servers or clients are stopped (docker: a network no longer used). */
        default void afterStop() {
        }

        /** Starts client i running test (null: idle) against the servers, as its clients reach them. */
        void startClient(int i, String test);

        /** Prints the clients' output as it comes, lines that show() accepts, until all have ended. */
        void follow(List<String> clients, Predicate<String> show);

        /** A finished client's exit code (negative when unknown). */
        int exitCode(String client);
    }

    /** A server that exists: whether it runs, and on which host port. */
    record Instance(boolean running, Optional<Integer> hostPort, String describe) {
    }

    /** Seconds a load client has to end after SIGTERM before it is killed. */
    static final int CLIENT_GRACE_SECONDS = 5;

    private final Config config;
    private final Names names;
    private final Mechanics m;

    Orchestrator(Config config, Mechanics mechanics) {
        this.config = config;
        this.names = new Names(config);
        this.m = mechanics;
    }

    /** Starts the servers that do not run yet and waits until they are ready; a failure removes what this run started. */
    void deployRun() {
        m.prepareServers();
        int count = config.getInt("num_servers");
        Console.step("Starting %d server%s of %s (runtime=%s, %s models each) ...", count, count == 1 ? "" : "s",
                m.serverArtifact(), m.runtime(), config.get("num_models"));
        // look at every name first, so a name that is not ours stops the run before anything starts
        Map<Integer, Instance> existing = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            int index = i;
            m.server(i).ifPresent(s -> existing.put(index, s));
        }
        Set<Integer> taken = new HashSet<>();
        existing.values().forEach(s -> s.hostPort().ifPresent(taken::add));
        Map<String, URI> starting = new LinkedHashMap<>();
        List<String> started = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                String name = names.server(i);
                Instance s = existing.get(i);
                if (s != null && s.running()) {
                    Console.info("%s is already running on port %s", name, s.hostPort().map(String::valueOf).orElse("?"));
                    continue;
                }
                if (s != null) {
                    Console.info("%s %s; replacing it", name, s.describe());
                    m.clearExited(i, s);
                }
                int port = LocalRuntime.freePort(config.getInt("service_port") + i, taken);
                taken.add(port);
                m.startServer(i, port);
                started.add(name);
                starting.put(name, URI.create("http://127.0.0.1:" + port + ServerEnv.READY_PATH));
            }
            if (starting.isEmpty()) {
                Console.step("All %d servers are already running.", count);
                return;
            }
            Console.step("Waiting for %d server%s to load the models ...", starting.size(), starting.size() == 1 ? "" : "s");
            Readiness.await(starting, Duration.ofSeconds(config.getInt("deploy_timeout")), name -> m.running(name) ? null
                    : "it exited" + m.exitDetail(name) + ". Last lines of its log:\n" + m.tail(name, 15));
        } catch (CliError e) {
            for (String name : started) {
                if (m.running(name)) {
                    Console.error("last lines of " + name + ":\n" + m.tail(name, 15));
                }
            }
            // nothing is left half-deployed: what this run started goes away again
            m.remove(started, 2);
            throw e;
        }
        List<String> ready = new ArrayList<>();
        starting.forEach((name, url) -> ready.add(name + " http://127.0.0.1:" + url.getPort()));
        Console.step("Ready: %s", String.join(", ", ready));
    }

    /** Starts the clients against running servers; for a test, follows them and fails naming those that failed. */
    void testRun(String test) {
        m.prepareClients();
        List<String> old = m.clients();
        if (old.stream().anyMatch(m::running)) {
            throw CliError.failed("test clients are still running: see ./test.java status, or ./test.java stop");
        }
        int servers = config.getInt("num_servers");
        for (int i = 0; i < servers; i++) {
            if (!m.server(i).map(Instance::running).orElse(false)) {
                throw CliError.failed(names.server(i) + " is not running: start the servers with ./deploy.java run");
            }
        }
        m.remove(old, 0);
        int count = config.getInt("num_test_containers");
        Console.step("Starting %d test client%s (%s) against %d server%s ...", count, count == 1 ? "" : "s",
                test == null ? "idle" : test, servers, servers == 1 ? "" : "s");
        List<String> clients = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                m.startClient(i, test);
                clients.add(names.testClient(i));
            }
        } catch (CliError e) {
            m.remove(clients, 0);
            throw e;
        }
        if (test == null) {
            Console.step("Idle clients started; open a shell with ./test.java exec, stop them with ./test.java stop.");
            return;
        }
        m.follow(clients, line -> !line.startsWith(BenchmarkResult.PREFIX));
        Map<String, Integer> exits = new LinkedHashMap<>();
        clients.forEach(c -> exits.put(c, m.exitCode(c)));
        finishTest(test, exits);
    }

    /** deploy stop (servers true) and test stop: all of this project's, SIGTERM first with their grace, each named. */
    void stop(boolean servers) {
        List<String> all = servers ? m.servers() : m.clients();
        if (all.isEmpty()) {
            Console.step("No %s (runtime=%s); nothing to stop.", servers ? "servers are running" : "test clients", m.runtime());
        } else {
            Console.step("Stopping %d %s%s ...", all.size(), servers ? "server" : "test client", all.size() == 1 ? "" : "s");
            // which ones run is read before any SIGTERM: a server that drains fast is gone by its turn
            Map<String, Boolean> running = new LinkedHashMap<>();
            all.forEach(n -> running.put(n, m.running(n)));
            m.remove(all, servers ? ServerEnv.stopSeconds(config) : CLIENT_GRACE_SECONDS);
            running.forEach((n, was) -> Console.info("%s %s", n, was ? "stopped" : "removed"));
        }
        m.afterStop();
    }

    /** The end of every runtime's test run: fail naming the clients that failed, or say what comes next. */
    static void finishTest(String test, Map<String, Integer> exitCodes) {
        requireAllPassed(exitCodes);
        Console.step("%d test client%s finished%s", exitCodes.size(), exitCodes.size() == 1 ? "" : "s",
                test.equals("bmk") ? "; aggregate with ./test.java run bma" : ".");
    }

    /**
     * Fails, naming each failed client and its exit code, unless every client exited 0. A client
     * fails when none of its requests succeeded or more than bmk_max_error_rate of them failed.
     */
    static void requireAllPassed(Map<String, Integer> exitCodes) {
        List<String> failed = new ArrayList<>();
        exitCodes.forEach((name, code) -> {
            if (code != 0) {
                failed.add(code < 0 ? name : name + " (exit " + code + ")");
            }
        });
        if (!failed.isEmpty()) {
            throw CliError.failed(failed.size() + " of " + exitCodes.size() + " test clients failed: " + String.join(", ", failed)
                    + "; see ./test.java logs --no-follow");
        }
    }
}
