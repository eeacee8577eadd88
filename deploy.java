///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
// short-lived, and so is javac: the quick compiler and collector start faster (docs/benchmarks.md)
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
//JAVAC_OPTIONS -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC
//SOURCES lib/cli/Cli.java lib/cli/CliError.java lib/cli/Console.java lib/runtime/KubernetesRuntime.java lib/runtime/Prepull.java lib/config/ProcessorDefaults.java lib/runtime/Runtimes.java lib/step/StepCommand.java lib/step/FleetCommands.java
//SOURCES lib/image/ModelSet.java lib/store/StoreCatalog.java lib/store/StoreConfig.java

import java.nio.file.Path;
import lib.cli.Cli;
import lib.cli.Console;
import lib.runtime.KubernetesRuntime;
import lib.runtime.Prepull;
import lib.config.ProcessorDefaults;
import lib.cli.CliError;
import lib.runtime.Runtimes;
import lib.image.ModelSet;
import lib.store.StoreCatalog;
import lib.store.StoreConfig;
import lib.step.FleetCommands;
import lib.step.StepCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

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

    /** status, logs, exec and stop of the servers; status adds each server's share of a store's catalog. */
    @Spec
    void fleet(CommandSpec spec) {
        FleetCommands.add(this, spec, FleetCommands.Fleet.SERVERS, this::catalogShare);
    }

    /** The catalog's placement, from the same function the load clients route by. */
    private void catalogShare(Integer index) {
        if (StoreConfig.enabled(config()) && !ModelSet.catalog(config()).isEmpty()) {
            int[] perServer = StoreCatalog.read(config(), ModelSet.catalog(config()), ModelSet.names(config())).modelsPerServer();
            for (int s = 0; s < perServer.length; s++) {
                if (index == null || index == s) {
                    Console.info("server %d: preferred for %d models of the catalog (./deploy.java models)", s, perServer[s]);
                }
            }
        }
    }

    @Command(name = "models", description = {"With model_store: the models the servers serve, read from the store's index "
            + "(name, version, size, precision)", "and the servers each model of the catalog is placed on (model_replicas, best first)."})
    int models() {
        if (!StoreConfig.enabled(config())) {
            throw CliError.badInput("deploy models lists the catalog of a model store: set model_store (docs/model-store.md)");
        }
        StoreCatalog catalog = StoreCatalog.read(config(), ModelSet.catalog(config()), ModelSet.names(config()));
        Console.table(catalog.table());
        int[] perServer = catalog.modelsPerServer();
        StringBuilder spread = new StringBuilder();
        for (int s = 0; s < perServer.length; s++) {
            spread.append(s == 0 ? "" : ", ").append("server ").append(s).append(": ").append(perServer[s]);
        }
        Console.info("%d models (%d of the catalog placed on %d of %d servers each; %s)", catalog.all().size(), catalog.catalog().size(),
                Math.min(catalog.replicas(), catalog.servers()), catalog.servers(), spread);
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
