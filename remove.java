///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//SOURCES lib/*.java

import java.time.Duration;
import java.util.List;
import lib.Aws;
import lib.Cli;
import lib.ConfigKeys;
import lib.Console;
import lib.Stacks;
import lib.CliError;
import lib.StepCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "remove.java", subcommands = HelpCommand.class,
        description = {"Removes what provision created: node groups, IAM service account, cluster, then the",
                "management instance, waiting for each. Safe to run again."})
public class remove extends StepCommand {
    @Parameters(paramLabel = "RUNTIME", arity = "0..1", description = "local, docker or kubernetes (default: the runtime key)")
    String runtime;

    @Option(names = {"-y", "--yes"}, description = "Do not ask for confirmation")
    boolean yes;

    @Override
    public Integer call() {
        String target = runtime == null ? config().runtime() : runtime;
        if (!ConfigKeys.RUNTIMES.contains(target)) {
            throw CliError.badInput("unknown runtime '" + target + "': use local, docker or kubernetes");
        }
        if (!target.equals("kubernetes")) {
            Console.step("runtime=%s provisions nothing, so there is nothing to remove.", target);
            return 0;
        }
        Stacks stacks = new Stacks(Aws.cloudFormation(config()), Duration.ofSeconds(10));
        List<String> order = stacks.removalOrder(config().get("cluster_name"), config().get("stack_name"));
        if (order.isEmpty()) {
            Console.step("Nothing to remove: no stacks of cluster %s and no stack %s in %s.", config().get("cluster_name"),
                    config().get("stack_name"), config().get("region"));
            return 0;
        }
        Console.step("These stacks will be deleted, in this order:");
        order.forEach(name -> Console.info("%s", name));
        if (!yes) {
            if (System.console() == null) {
                throw CliError.badInput("remove deletes " + order.size() + " stacks; confirm with --yes (there is no terminal to ask)");
            }
            String answer = System.console().readLine("Delete them? [y/N] ");
            if (answer == null || !answer.strip().equalsIgnoreCase("y")) {
                Console.step("Nothing was deleted.");
                return 1;
            }
        }
        stacks.delete(order);
        Console.step("Removed %d stacks.", order.size());
        return 0;
    }

    public static void main(String... args) {
        System.exit(Cli.run(new remove(), args));
    }
}
