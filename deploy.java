///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
// short-lived, and so is javac: the quick compiler and collector start faster (docs/benchmarks.md)
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
//JAVAC_OPTIONS -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC
//SOURCES lib/cli/Cli.java lib/cli/CliError.java lib/cli/Console.java lib/runtime/KubernetesRuntime.java lib/runtime/Prepull.java lib/config/ProcessorDefaults.java lib/runtime/Runtimes.java lib/step/StepCommand.java

import java.nio.file.Path;
import lib.cli.Cli;
import lib.cli.Console;
import lib.runtime.KubernetesRuntime;
import lib.runtime.Prepull;
import lib.config.ProcessorDefaults;
import lib.cli.CliError;
import lib.runtime.Runtimes;
import lib.step.StepCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "deploy.java", subcommands = HelpCommand.class,
        description = {"Deploys and manages the model servers on the configured runtime (local, docker or kubernetes).",
                "With no sub-command it runs them. Servers are numbered from 0: server i is <app_name>-i."})
public class deploy extends StepCommand {

    @Override
    public Integer call() {
        return run();
    }

    @Command(name = "run", description = "Starts num_servers servers and waits until they are ready.")
    int run() {
        if (config().runtime().equals("kubernetes")) {
            warnAboutInstanceType();
        }
        Runtimes.of(config()).deployRun();
        return 0;
    }

    @Command(name = "status", description = "Shows the servers, or only server N.")
    int status(@Parameters(paramLabel = "N", arity = "0..1") Integer n) {
        Integer index = Runtimes.checkServer(config(), n);
        Runtimes.of(config()).deployStatus(index);
        return 0;
    }

    @Command(name = "logs", description = "Follows the logs of all servers (prefixed), or of server N.")
    int logs(@Parameters(paramLabel = "N", arity = "0..1") Integer n,
             @Option(names = "--no-follow", description = "Print what is there and exit") boolean noFollow) {
        Integer index = Runtimes.checkServer(config(), n);
        Runtimes.of(config()).deployLogs(index, !noFollow);
        return 0;
    }

    @Command(name = "exec", description = "Opens a shell where server N runs.")
    int exec(@Parameters(paramLabel = "N") int n) {
        Integer index = Runtimes.checkServer(config(), n);
        Runtimes.of(config()).deployExec(index);
        return 0;
    }

    @Command(name = "stop", description = "Stops and removes the servers.")
    int stop() {
        Runtimes.of(config()).deployStop();
        return 0;
    }

    @Command(name = "manifests", description = "kubernetes: writes the server manifests into app_dir without applying them.")
    int manifests() {
        Console.step("Writing the server manifests (a dry run: nothing is applied) ...");
        warnAboutInstanceType();
        for (Path file : new KubernetesRuntime(dryRunConfig()).writeServerManifests()) {
            Console.info("%s", file);
        }
        return 0;
    }

    @Command(name = "prepull", description = "kubernetes: a DaemonSet that pulls the model image onto every node: start, status or stop.")
    int prepull(@Parameters(paramLabel = "ACTION", description = "start, status or stop") String action) {
        if (!config().runtime().equals("kubernetes")) {
            throw CliError.unsupported("prepull is for runtime=kubernetes (runtime=" + config().runtime() + ")");
        }
        new Prepull(config()).run(action);
        return 0;
    }

    /** Pods pinned to a node type that cannot serve the processor stay Pending: say so first. */
    private void warnAboutInstanceType() {
        ProcessorDefaults.instanceTypeProblem(config().get("instance_type"), config().processor()).ifPresent(w -> Console.warn("%s", w));
    }

    public static void main(String... args) {
        System.exit(Cli.run(new deploy(), args));
    }
}
