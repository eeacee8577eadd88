///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
// short-lived, and so is javac: the quick compiler and collector start faster (docs/benchmarks.md)
//JAVA_OPTIONS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
//JAVAC_OPTIONS -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC
//SOURCES lib/cli/Cli.java lib/cli/CliError.java lib/config/Config.java lib/cli/Console.java lib/aws/Stacks.java lib/step/InfrastructureCommand.java lib/store/StoreConfig.java

import java.util.List;
import lib.cli.Cli;
import lib.cli.CliError;
import lib.config.Config;
import lib.cli.Console;
import lib.step.InfrastructureCommand;
import lib.aws.Stacks;
import lib.store.StoreConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Option;

@Command(name = "remove.java", subcommands = HelpCommand.class,
        description = {"Removes what provision created: node groups, IAM service account, cluster, then the",
                "management instance, waiting for each, then the model store's bucket if provision created it",
                "(emptied first). Safe to run again."})
public class remove extends InfrastructureCommand {
    @Option(names = {"-y", "--yes"}, description = "Do not ask for confirmation")
    boolean yes;

    @Override
    public Integer call() {
        Config config = config();
        String target = target();
        if (!target.equals("kubernetes")) {
            Console.step("Nothing to remove for runtime %s: provision creates no infrastructure for it.", target);
            return 0;
        }
        // asked before anything is looked up, so scripts learn at once that they need --yes
        if (!yes && System.console() == null) {
            throw CliError.badInput("remove deletes the EKS cluster and the stack " + config.get("stack_name")
                    + " and cannot be undone; there is no terminal to confirm on, so pass --yes");
        }
        String bucket = Stacks.parameters(config).get("ModelStoreBucket");
        boolean dropBucket = false;
        try (Stacks stacks = Stacks.open(config)) {
            List<List<String>> plan = stacks.removalPlan(config.get("cluster_name"), config.get("stack_name"));
            dropBucket = bucket != null && stacks.createdModelBucket(config.get("stack_name"), bucket);
            if (plan.isEmpty()) {
                Console.step("Nothing to remove in %s: no stack %s and no eksctl stacks of cluster %s.",
                        config.get("region"), config.get("stack_name"), config.get("cluster_name"));
                return 0;
            }
            Console.step("Stacks to delete in %s, in this order:", config.get("region"));
            plan.forEach(group -> Console.info("%s", String.join(", ", group)));
            if (dropBucket) {
                Console.step("Then the bucket %s, which provision created: emptied (every model in it) and deleted.", bucket);
            }
            if (!yes) {
                String answer = System.console().readLine("Delete them? This cannot be undone. [y/N] ");
                if (answer == null || !answer.strip().equalsIgnoreCase("y") && !answer.strip().equalsIgnoreCase("yes")) {
                    Console.step("Nothing deleted.");
                    return 0;
                }
            }
            stacks.delete(plan);
        }
        if (dropBucket) {
            Console.step("Emptying and deleting the bucket %s (provision created it) ...", bucket);
            Console.info("bucket %s deleted with its %d objects", bucket, StoreConfig.deleteBucket(config));
        } else if (bucket != null) {
            // the stack's model reader role and its pod identity association went with it
            Console.info("the model store %s is kept: provision did not create its bucket", config.get("model_store"));
        }
        Console.step("Removed everything provision created in %s.", config.get("region"));
        return 0;
    }

    public static void main(String... args) {
        System.exit(Cli.run(new remove(), args));
    }
}
