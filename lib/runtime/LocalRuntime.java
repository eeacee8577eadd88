package lib.runtime;

//SOURCES ../config/Artifacts.java ../cli/CliError.java ../config/Config.java ../cli/Console.java LocalProcess.java ../config/Names.java Orchestrator.java ../image/Pack.java Readiness.java ServerEnv.java OrchestratedRuntime.java ../cli/Shell.java LoadClientArgs.java

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import lib.cli.CliError;
import lib.cli.Console;
import lib.cli.Shell;
import lib.config.Artifacts;
import lib.config.Config;
import lib.config.Names;
import lib.image.Pack;

/**
 * runtime=local: servers and test clients are plain JVM processes on this machine, started from
 * the pack folder and the client jar, with their pid, port and log under .jdo/local/.
 */
public final class LocalRuntime extends OrchestratedRuntime {
    private final Names names;
    private final Shell shell;
    private final Mechanics mechanics = new Mechanics();

    public LocalRuntime(Config config) {
        super(config);
        this.names = new Names(config);
        this.shell = new Shell(config.verbose());
    }

    @Override
    Orchestrator.Mechanics mechanics() {
        return mechanics;
    }

    private Path stateDir(String kind) {
        return names.stateDir().resolve("local").resolve(kind);
    }

    private LocalProcess server(int i) {
        return new LocalProcess(stateDir("servers"), names.server(i));
    }

    private LocalProcess client(int i) {
        return new LocalProcess(stateDir("clients"), names.testClient(i));
    }

    /** Processes recorded in a state folder, whatever num_servers says now (it may have changed). */
    private List<LocalProcess> recorded(String kind) {
        Path dir = stateDir(kind);
        if (!java.nio.file.Files.isDirectory(dir)) {
            return List.of();
        }
        try (var entries = java.nio.file.Files.list(dir)) {
            return entries.filter(java.nio.file.Files::isDirectory).map(p -> p.getFileName().toString()).sorted()
                    .map(n -> new LocalProcess(dir, n)).toList();
        } catch (IOException e) {
            throw CliError.failed("cannot read " + dir + ": " + e.getMessage());
        }
    }

    private static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    private URI url(LocalProcess p, String path) {
        return URI.create("http://127.0.0.1:" + p.fact("port").orElse("0") + path);
    }

    // ---------------------------------------------------------------- deploy

    /** The first port from `from` on that nobody listens on and that is not taken yet. */
    public static int freePort(int from, Set<Integer> taken) {
        for (int port = from; port < Math.min(from + 1000, 65536); port++) {
            if (taken.contains(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException busy) {
                // try the next one
            }
        }
        throw CliError.failed("no free port from " + from);
    }

    private static List<String> withEnv(Map<String, String> env, List<String> argv) {
        List<String> line = new ArrayList<>(List.of("env"));
        env.forEach((k, v) -> line.add(k + "=" + v));
        line.addAll(argv);
        return line;
    }

    @Override
    public void deployStatus(Integer server) {
        List<LocalProcess> servers = server == null ? recorded("servers") : List.of(server(server));
        if (servers.stream().noneMatch(LocalProcess::exists)) {
            Console.step(server == null ? "No servers are running (runtime=local)." : server(server).name() + " is not running.");
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("NAME", "PID", "PORT", "STATE", "MODELS", "UPTIME", "LOG"));
        for (LocalProcess p : servers) {
            if (!p.exists()) {
                continue;
            }
            boolean alive = p.alive();
            String state = !alive ? "exited" : Readiness.isReady(url(p, ServerEnv.READY_PATH)) ? "ready" : "starting";
            rows.add(List.of(p.name(), p.fact("pid").orElse("-"), p.fact("port").orElse("-"), state,
                    models(p.env()), p.uptime().map(LocalRuntime::human).orElse("-"), p.log().toString()));
        }
        Console.table(rows);
    }

    /** NUM_MODELS, and with a model store the pinned versions (name@version) the server serves. */
    static String models(Map<String, String> env) {
        String copies = env.getOrDefault("NUM_MODELS", "-");
        String pinned = env.get("STORE_MODELS");
        return pinned == null ? copies : copies + " " + pinned;
    }

    static String human(Duration d) {
        long s = d.toSeconds();
        return s < 60 ? s + "s" : s < 3600 ? (s / 60) + "m" + (s % 60) + "s" : (s / 3600) + "h" + (s % 3600 / 60) + "m";
    }

    @Override
    public void deployLogs(Integer server, boolean follow) {
        logs(server == null ? recorded("servers") : List.of(server(server)), follow, line -> true);
    }

    /** Prints logs, prefixed with the name when there are several, and follows them while any runs. */
    private void logs(List<LocalProcess> processes, boolean follow, java.util.function.Predicate<String> show) {
        List<LocalProcess> present = processes.stream().filter(LocalProcess::exists).toList();
        if (present.isEmpty()) {
            Console.step("Nothing is running, so there are no logs.");
            return;
        }
        boolean prefix = present.size() > 1;
        long[] offsets = new long[present.size()];
        while (true) {
            // look before reading, so the last lines of a process that just ended are not lost
            boolean anyAlive = present.stream().anyMatch(LocalProcess::alive);
            for (int i = 0; i < present.size(); i++) {
                LocalProcess p = present.get(i);
                Consumer<String> print = line -> {
                    if (show.test(line)) {
                        Console.logLine(p.name(), prefix, line);
                    }
                };
                offsets[i] = p.copyNewOutput(offsets[i], print);
            }
            if (!follow || !anyAlive) {
                return;
            }
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void deployExec(int server) {
        exec(server(server));
    }

    private void exec(LocalProcess p) {
        if (!p.exists()) {
            throw CliError.failed(p.name() + " is not running: start it with ./deploy.java run");
        }
        String sh = System.getenv().getOrDefault("SHELL", "/bin/sh");
        Console.step("Opening %s in %s with the environment of %s (exit to leave) ...", sh, p.dir(), p.name());
        shell.run(List.of(sh), p.env(), p.dir());
    }

    // ---------------------------------------------------------------- test

    private static int waitFor(Process p) {
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public void testStatus(Integer client) {
        List<LocalProcess> clients = client == null ? recorded("clients") : List.of(client(client));
        if (clients.stream().noneMatch(LocalProcess::exists)) {
            Console.step("No test clients (runtime=local).");
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("NAME", "PID", "TEST", "STATE", "LOG"));
        for (LocalProcess c : clients) {
            if (c.exists()) {
                rows.add(List.of(c.name(), c.fact("pid").orElse("-"), c.fact("test").orElse("-"),
                        c.alive() ? "running" : c.fact("exit").map(x -> "finished (exit " + x + ")").orElse("finished"),
                        c.log().toString()));
            }
        }
        Console.table(rows);
    }

    @Override
    public void testLogs(Integer client, boolean follow) {
        logs(client == null ? recorded("clients") : List.of(client(client)), follow, line -> true);
    }

    @Override
    public void testExec(int client) {
        exec(client(client));
    }

    @Override
    public Map<String, String> finishedTestOutputs() {
        Map<String, String> outputs = new TreeMap<>();
        for (LocalProcess c : recorded("clients")) {
            if (!c.alive()) {
                outputs.put(c.name(), c.output());
            }
        }
        return outputs;
    }

    /** A recorded server or client of that name. */
    private LocalProcess process(String name) {
        LocalProcess server = new LocalProcess(stateDir("servers"), name);
        return server.exists() ? server : new LocalProcess(stateDir("clients"), name);
    }

    /** Processes on this machine: the pack folder's server jar and the client jar, state under .jdo/local/. */
    private final class Mechanics implements Orchestrator.Mechanics {
        private final Map<String, Process> clients = new HashMap<>();
        private Path clientJar;

        @Override
        public String runtime() {
            return "local";
        }

        @Override
        public String serverArtifact() {
            return names.packDir().getFileName().toString();
        }

        @Override
        public void prepareServers() {
            if (!Pack.isPacked(names.packDir())) {
                throw CliError.badInput("nothing packed in " + names.packDir() + ": run ./trace.java and ./pack.java first");
            }
        }

        @Override
        public Optional<Orchestrator.Instance> server(int i) {
            LocalProcess p = LocalRuntime.this.server(i);
            if (!p.exists()) {
                return Optional.empty();
            }
            boolean alive = p.alive();
            return Optional.of(new Orchestrator.Instance(alive, alive ? p.fact("port").map(Integer::parseInt) : Optional.empty(),
                    "had exited" + p.fact("exit").map(x -> " (exit " + x + ")").orElse("")));
        }

        @Override
        public void clearExited(int i, Orchestrator.Instance left) {
            LocalRuntime.this.server(i).clean();
        }

        @Override
        public void startServer(int i, int hostPort) {
            Path pack = names.packDir();
            LocalProcess p = LocalRuntime.this.server(i);
            Map<String, String> env = new LinkedHashMap<>(ServerEnv.env(config, i, hostPort, pack.resolve(Pack.MODEL_DIR).toString()));
            env.put("BIND_ADDRESS", "127.0.0.1");
            ServerEnv.hostCacheFolder(config, p.name(), names.stateDir().resolve("model-cache"))
                    .ifPresent(cache -> env.put("MODEL_CACHE_DIR", cache.toString()));
            List<String> argv = List.of(java().toString(), "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true", "-jar",
                    pack.resolve(Pack.SERVER_JAR).toString());
            shell.echo(withEnv(env, argv));
            p.start(argv, env, Map.of("port", Integer.toString(hostPort)));
            Console.info("%s: pid %s, port %d, log %s", p.name(), p.fact("pid").orElse("?"), hostPort, p.log());
        }

        @Override
        public boolean running(String name) {
            return process(name).alive();
        }

        @Override
        public String exitDetail(String name) {
            return "";
        }

        @Override
        public String tail(String name, int lines) {
            LocalProcess p = process(name);
            return "(" + p.log() + ")\n" + p.tail(lines);
        }

        @Override
        public void remove(List<String> processes, int graceSeconds) {
            // SIGTERM to all first, so that they drain in parallel
            processes.forEach(name -> process(name).handle().ifPresent(ProcessHandle::destroy));
            for (String name : processes) {
                LocalProcess p = process(name);
                p.stop(Duration.ofSeconds(graceSeconds));
                p.clean();
            }
        }

        @Override
        public void prepareClients() {
            clientJar = Artifacts.clientJar(config);
        }

        @Override
        public List<String> clients() {
            return recorded("clients").stream().map(LocalProcess::name).toList();
        }

        @Override
        public List<String> servers() {
            return recorded("servers").stream().map(LocalProcess::name).toList();
        }

        @Override
        public void startClient(int i, String test) {
            List<String> urls = new ArrayList<>();
            for (int s = 0; s < config.getInt("num_servers"); s++) {
                urls.add(url(LocalRuntime.this.server(s), "").toString());
            }
            LocalProcess c = client(i);
            List<String> argv = new ArrayList<>(List.of(java().toString(), "-jar", clientJar.toString()));
            argv.addAll(LoadClientArgs.args(config, test, urls, c.name(), names.resultsDir().toString()));
            shell.echo(argv);
            clients.put(c.name(), c.start(argv, Map.of(), Map.of("test", test == null ? "idle" : test)));
        }

        @Override
        public void follow(List<String> names, java.util.function.Predicate<String> show) {
            logs(names.stream().map(LocalRuntime.this::process).toList(), true, show);
        }

        @Override
        public int exitCode(String client) {
            int code = waitFor(clients.get(client));
            process(client).recordExit(code);
            return code;
        }
    }
}
