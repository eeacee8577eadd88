package lib.runtime;

//SOURCES ../cli/CliError.java ../config/Config.java ../cli/Console.java DockerCommands.java ../image/Images.java ../config/Names.java Orchestrator.java ServerEnv.java OrchestratedRuntime.java ../cli/Shell.java

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import lib.cli.CliError;
import lib.cli.Console;
import lib.cli.Shell;
import lib.config.Config;
import lib.config.Names;
import lib.image.Images;

/**
 * runtime=docker: servers and test clients are containers of the model and test images on one
 * network (Names.network()), so clients reach server i as http://<app_name>-i:8080; server i is
 * also published on this machine at service_port+i (or the next free port). Every container and
 * the network carry the project's labels, so status and stop find exactly what deploy started.
 */
public final class DockerRuntime extends OrchestratedRuntime {
    static final String SERVER = "server";
    static final String CLIENT = "test-client";

    private final Names names;
    private final Shell shell;
    private final String cli;
    private final DockerCommands commands;
    private final Mechanics mechanics = new Mechanics();

    public DockerRuntime(Config config) {
        super(config);
        this.names = new Names(config);
        this.shell = new Shell(config.verbose());
        this.cli = config.get("container_cli");
        this.commands = new DockerCommands(config);
    }

    @Override
    Orchestrator.Mechanics mechanics() {
        return mechanics;
    }

    // ---------------------------------------------------------------- look-ups

    private Shell.Result quiet(String... args) {
        List<String> argv = new ArrayList<>(List.of(cli));
        argv.addAll(List.of(args));
        return shell.captureQuietly(argv, null);
    }

    private Images images() {
        return new Images(config);
    }

    /** Our containers of one component, by name, whatever num_servers says now. */
    private List<String> containers(String component) {
        List<String> argv = new ArrayList<>(List.of("ps", "-a"));
        argv.addAll(commands.filters(component));
        argv.addAll(List.of("--format", "{{.Names}}"));
        Shell.Result r = quiet(argv.toArray(String[]::new));
        if (!r.ok()) {
            throw CliError.failed(cli + " ps failed: " + r.output().strip());
        }
        return r.output().lines().map(String::strip).filter(s -> !s.isEmpty()).sorted().toList();
    }

    /** A container's state: empty when there is none of that name. */
    record State(boolean running, String status, int exitCode, String managedBy) {
    }

    private Optional<State> state(String name) {
        Shell.Result r = quiet("inspect", "--type", "container", "--format",
                "{{.State.Running}}|{{.State.Status}}|{{.State.ExitCode}}|{{index .Config.Labels \"" + Names.MANAGED_BY_LABEL + "\"}}", name);
        if (!r.ok()) {
            return Optional.empty();
        }
        String[] f = r.output().strip().split("\\|", -1);
        return Optional.of(new State(f[0].equals("true"), f[1], Integer.parseInt(f[2]), f.length > 3 ? f[3] : ""));
    }

    private void requireOurs(String name, State s) {
        if (!Names.MANAGED_BY.equals(s.managedBy())) {
            throw CliError.failed("a container named " + name + " exists and was not started by jdo-inference;"
                    + " remove it (" + cli + " rm -f " + name + ") or change app_name / test_image_name");
        }
    }

    private Optional<Integer> hostPort(String name) {
        Shell.Result r = quiet("port", name, Integer.toString(ServerEnv.CONTAINER_PORT));
        if (!r.ok()) {
            return Optional.empty();
        }
        return r.output().lines().map(l -> l.substring(l.lastIndexOf(':') + 1).strip()).filter(s -> s.matches("\\d+"))
                .map(Integer::parseInt).findFirst();
    }

    private String tail(String name, int lines) {
        return quiet("logs", "--tail", Integer.toString(lines), name).output().stripTrailing();
    }

    private void ensureNetwork() {
        if (quiet("network", "inspect", names.network()).ok()) {
            return;
        }
        List<String> argv = new ArrayList<>(List.of(cli, "network", "create"));
        argv.addAll(commands.labels("network"));
        argv.add(names.network());
        Shell.Result r = shell.capture(argv);
        if (!r.ok()) {
            throw CliError.failed("cannot create network " + names.network() + ": " + r.output().strip());
        }
    }

    /** Removes the network once no container of ours is left on it. */
    private void removeNetworkIfUnused() {
        if (!containers(SERVER).isEmpty() || !containers(CLIENT).isEmpty() || !quiet("network", "inspect", names.network()).ok()) {
            return;
        }
        Shell.Result r = shell.capture(List.of(cli, "network", "rm", names.network()));
        if (r.ok()) {
            Console.info("network %s removed", names.network());
        } else {
            Console.warn("could not remove network %s: %s", names.network(), r.output().strip());
        }
    }

    private void remove(List<String> containers, int graceSeconds) {
        if (containers.isEmpty()) {
            return;
        }
        List<String> stop = new ArrayList<>(List.of(cli, "stop", "-t", Integer.toString(graceSeconds)));
        stop.addAll(containers);
        shell.capture(stop);
        List<String> rm = new ArrayList<>(List.of(cli, "rm", "-f"));
        rm.addAll(containers);
        Shell.Result r = shell.capture(rm);
        if (!r.ok()) {
            throw CliError.failed("cannot remove " + String.join(", ", containers) + ": " + r.output().strip());
        }
    }

    // ---------------------------------------------------------------- deploy

    @Override
    public void deployStatus(Integer server) {
        show(SERVER, server == null ? null : names.server(server), "No servers are running (runtime=docker).");
    }

    private void show(String component, String one, String none) {
        List<String> all = containers(component);
        if (all.isEmpty() || (one != null && !all.contains(one))) {
            Console.step(one == null ? none : one + " is not running.");
            return;
        }
        List<String> argv = new ArrayList<>(List.of(cli, "ps", "-a"));
        argv.addAll(commands.filters(component));
        if (one != null) {
            argv.addAll(List.of("--filter", "name=^/?" + one + "$"));
        }
        argv.addAll(List.of("--format", "table {{.Names}}\t{{.Status}}\t{{.Ports}}\t{{.Image}}"));
        Shell.Result r = shell.capture(argv);
        // docker sorts by creation time: print in name order, the header first
        List<String> lines = r.output().lines().toList();
        Console.line(lines.isEmpty() ? "" : lines.get(0));
        lines.stream().skip(1).sorted().forEach(Console::line);
        if (!r.ok()) {
            throw CliError.failed(cli + " ps failed");
        }
    }

    @Override
    public void deployLogs(Integer server, boolean follow) {
        logs(server == null ? containers(SERVER) : List.of(names.server(server)), follow, line -> true);
    }

    /**
     * Prints the logs of several containers, each line prefixed with its name when there are
     * several, following them (docker logs -f) until they all end.
     */
    private void logs(List<String> containers, boolean follow, Predicate<String> show) {
        List<String> present = containers.stream().filter(n -> state(n).isPresent()).toList();
        if (present.isEmpty()) {
            Console.step("Nothing is running, so there are no logs.");
            return;
        }
        Map<String, java.io.InputStream> streams = new LinkedHashMap<>();
        List<Process> processes = new ArrayList<>();
        try {
            for (String name : present) {
                List<String> argv = new ArrayList<>(List.of(cli, "logs"));
                if (follow) {
                    argv.add("-f");
                }
                argv.add(name);
                shell.echo(argv);
                Process p;
                try {
                    p = new ProcessBuilder(argv).redirectErrorStream(true)
                            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                } catch (IOException e) {
                    throw CliError.failed("cannot run " + cli + " logs: " + e.getMessage());
                }
                processes.add(p);
                streams.put(name, p.getInputStream());
            }
            Console.interleave(streams, show);
        } finally {
            processes.forEach(Process::destroy);
        }
    }

    @Override
    public void deployExec(int server) {
        exec(names.server(server), "./deploy.java run");
    }

    private void exec(String name, String startWith) {
        if (!state(name).map(State::running).orElse(false)) {
            throw CliError.failed(name + " is not running: start it with " + startWith);
        }
        Console.step("Opening a shell in %s (exit to leave) ...", name);
        shell.run(List.of(cli, "exec", "-it", name, "sh"));
    }

    // ---------------------------------------------------------------- test

    @Override
    public void testStatus(Integer client) {
        show(CLIENT, client == null ? null : names.testClient(client), "No test clients (runtime=docker).");
    }

    @Override
    public void testLogs(Integer client, boolean follow) {
        logs(client == null ? containers(CLIENT) : List.of(names.testClient(client)), follow, line -> true);
    }

    @Override
    public void testExec(int client) {
        exec(names.testClient(client), "./test.java run");
    }

    @Override
    public Map<String, String> finishedTestOutputs() {
        Map<String, String> outputs = new TreeMap<>();
        for (String name : containers(CLIENT)) {
            Optional<State> s = state(name);
            if (s.isPresent() && !s.get().running()) {
                outputs.put(name, quiet("logs", name).output());
            }
        }
        return outputs;
    }

    /** Containers through the container CLI, on the project's network, found by their labels. */
    private final class Mechanics implements Orchestrator.Mechanics {
        @Override
        public String runtime() {
            return "docker";
        }

        @Override
        public String serverArtifact() {
            return names.modelImage();
        }

        @Override
        public void prepareServers() {
            Images images = images();
            images.checkEngine();
            images.requireLocal(Images.Kind.MODEL);
            ensureNetwork();
            if (commands.endpointOnLoopback()) {
                Console.info("s3_endpoint %s is this machine's loopback: the servers reach it as %s (the docker bridge's gateway),"
                        + " so the store must listen there too (0.0.0.0 or the bridge's address, not 127.0.0.1 only)",
                        config.get("s3_endpoint"), DockerCommands.HOST_ALIAS);
            }
        }

        @Override
        public Optional<Orchestrator.Instance> server(int i) {
            String name = names.server(i);
            return state(name).map(s -> {
                requireOurs(name, s);
                return new Orchestrator.Instance(s.running(), s.running() ? hostPort(name) : Optional.empty(),
                        "had " + s.status() + " (exit " + s.exitCode() + ")");
            });
        }

        @Override
        public void clearExited(int i, Orchestrator.Instance left) {
            DockerRuntime.this.remove(List.of(names.server(i)), 0);
        }

        @Override
        public void startServer(int i, int hostPort) {
            commands.cacheFolder(i).ifPresent(dir -> {
                try {
                    java.nio.file.Files.createDirectories(dir);
                } catch (IOException e) {
                    throw CliError.failed("cannot create the model cache folder " + dir + ": " + e.getMessage());
                }
            });
            Shell.Result r = shell.capture(commands.serverRun(i, hostPort));
            if (!r.ok()) {
                throw CliError.failed("cannot start " + names.server(i) + ": " + r.output().strip());
            }
            Console.info("%s: port %d", names.server(i), hostPort);
        }

        @Override
        public boolean running(String name) {
            return state(name).map(State::running).orElse(false);
        }

        @Override
        public String exitDetail(String name) {
            return state(name).map(s -> " (exit " + s.exitCode() + ")").orElse("");
        }

        @Override
        public String tail(String name, int lines) {
            return DockerRuntime.this.tail(name, lines);
        }

        @Override
        public void remove(List<String> containers, int graceSeconds) {
            try {
                DockerRuntime.this.remove(containers, graceSeconds);
            } finally {
                removeNetworkIfUnused();
            }
        }

        @Override
        public void prepareClients() {
            Images images = images();
            images.checkEngine();
            images.requireLocal(Images.Kind.TEST);
            for (int i = 0; i < config.getInt("num_test_containers"); i++) {
                String name = names.testClient(i);
                state(name).ifPresent(s -> requireOurs(name, s));
            }
        }

        @Override
        public List<String> clients() {
            return containers(CLIENT);
        }

        @Override
        public List<String> servers() {
            return containers(SERVER);
        }

        @Override
        public void afterStop() {
            removeNetworkIfUnused();
        }

        @Override
        public void startClient(int i, String test) {
            Shell.Result r = shell.capture(commands.clientRun(i, test));
            if (!r.ok()) {
                throw CliError.failed("cannot start " + names.testClient(i) + ": " + r.output().strip());
            }
        }

        @Override
        public void follow(List<String> clients, Predicate<String> show) {
            logs(clients, true, show);
        }

        @Override
        public int exitCode(String client) {
            Shell.Result r = quiet("wait", client);
            String code = r.output().strip();
            return r.ok() && code.matches("\\d+") ? Integer.parseInt(code) : -1;
        }
    }
}
