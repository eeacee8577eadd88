///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//SOURCES lib/*.java

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

@Command(name = "provision.java", subcommands = HelpCommand.class,
        description = {"Provisions the infrastructure for a runtime.",
                "kubernetes: a CloudFormation stack with a management instance that creates an EKS cluster",
                "with CPU, Graviton and Inferentia node groups. local, docker: nothing is needed."})
public class provision extends StepCommand {
    @Parameters(paramLabel = "RUNTIME", arity = "0..1", description = "local, docker or kubernetes (default: the runtime key)")
    String runtime;

    @Option(names = "--dry-run", description = "Print the template and parameters without calling AWS")
    boolean dryRun;

    @Override
    public Integer call() {
        // a dry run shows what provisioning a cluster would create, whatever runtime is configured
        String target = runtime != null ? runtime : dryRun ? "kubernetes" : config().runtime();
        if (!ConfigKeys.RUNTIMES.contains(target)) {
            throw CliError.badInput("unknown runtime '" + target + "': use local, docker or kubernetes");
        }
        if (!target.equals("kubernetes")) {
            Console.step("runtime=%s runs on this machine and needs no infrastructure: nothing to provision.", target);
            return 0;
        }
        String stack = config().get("stack_name");
        Map<String, String> parameters = Stacks.managementParameters(config());
        if (dryRun) {
            Console.step("Dry run: stack %s in region %s from %s (nothing is sent to AWS)", stack, config().get("region"), Stacks.TEMPLATE);
            System.out.println();
            System.out.print(Stacks.managementTemplate());
            System.out.println();
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("PARAMETER", "VALUE"));
            parameters.forEach((k, v) -> rows.add(List.of(k, v.isEmpty() ? "(none)" : v)));
            Console.table(rows);
            return 0;
        }
        new Stacks(Aws.cloudFormation(config()), Duration.ofSeconds(10)).createOrUpdate(stack, Stacks.managementTemplate(), parameters);
        Console.step("The management instance now creates EKS cluster %s (about 20-30 minutes). Then reach it with:",
                config().get("cluster_name"));
        Console.info("aws eks update-kubeconfig --name %s --region %s", config().get("cluster_name"), config().get("region"));
        return 0;
    }

    public static void main(String... args) {
        System.exit(Cli.run(new provision(), args));
    }
}
