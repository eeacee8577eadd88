///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
// short-lived, and so is javac: the quick compiler and collector start faster (docs/benchmarks.md)
//JAVA_OPTIONS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
//JAVAC_OPTIONS -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC
//SOURCES lib/cli/Cli.java lib/config/Config.java lib/cli/Console.java lib/aws/Stacks.java lib/step/InfrastructureCommand.java lib/store/StoreConfig.java

import java.util.Map;
import lib.cli.Cli;
import lib.config.Config;
import lib.cli.Console;
import lib.step.InfrastructureCommand;
import lib.aws.Stacks;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Option;

@Command(name = "provision.java", subcommands = HelpCommand.class,
        description = {"Provisions the infrastructure for a runtime.",
                "kubernetes: a CloudFormation stack (cloudformation/management-instance.yaml) with an EKS cluster,",
                "CPU, Graviton and Inferentia node groups and a management instance; it waits, printing the stack's",
                "events, until everything runs (about 20 minutes). See docs/aws.md for what that costs.",
                "local, docker: nothing is needed."})
public class provision extends InfrastructureCommand {
    @Option(names = "--dry-run", description = "Print the template and parameters without calling AWS")
    boolean dryRun;

    @Override
    public Integer call() {
        Config config = config();
        String target = target();
        if (dryRun) {
            printDryRun(dryRunConfig(), target);
            return 0;
        }
        if (!target.equals("kubernetes")) {
            Console.step("No infrastructure is needed for runtime %s.", target);
            return 0;
        }
        String stack = config.get("stack_name");
        Console.step("Provisioning stack %s in %s: EKS cluster %s with cpu, graviton and inferentia node groups, and a management instance",
                stack, config.get("region"), config.get("cluster_name"));
        Console.info("this takes about 20 minutes; Ctrl-C stops watching, not the stack");
        Map<String, String> outputs;
        Map<String, String> parameters = Stacks.parameters(config);
        try (Stacks stacks = Stacks.open(config)) {
            if (parameters.containsKey("ModelStoreBucket")) {
                // a bucket this stack created exists now: it stays the stack's (remove deletes it)
                boolean ours = stacks.createdModelBucket(stack, parameters.get("ModelStoreBucket"));
                boolean create = ours || lib.store.StoreConfig.bucketMissing(config);
                parameters.put("CreateModelStoreBucket", Boolean.toString(create));
                Console.info("model store %s: %s, readable by service account %s in %s through EKS Pod Identity", config.get("model_store"),
                        ours ? "the bucket this stack created (./remove.java empties and deletes it)"
                                : create ? "the bucket is created (./remove.java empties and deletes it)"
                                : "the bucket exists (./remove.java keeps it)", lib.store.StoreConfig.SERVICE_ACCOUNT, config.get("namespace"));
            }
            outputs = stacks.deploy(stack, Stacks.template(), parameters);
        }
        String region = outputs.getOrDefault("Region", config.get("region"));
        String cluster = outputs.getOrDefault("ClusterName", config.get("cluster_name"));
        Console.step("Cluster %s is ready. To reach it:", cluster);
        Console.info("from this machine:       aws eks update-kubeconfig --region %s --name %s", region, cluster);
        if (outputs.containsKey("ManagementInstanceId")) {
            Console.info("or the management instance (kubeconfig, docker and Java ready; the project is yours to copy):");
            Console.info("                         aws ssm start-session --region %s --target %s", region, outputs.get("ManagementInstanceId"));
        }
        Console.info("then: ./config.java set runtime kubernetes; remove it all with ./remove.java kubernetes");
        return 0;
    }

    /** Valid YAML on stdout: the parameters as comments, then the template as it would be sent. */
    private void printDryRun(Config config, String target) {
        StringBuilder out = new StringBuilder();
        if (!target.equals("kubernetes")) {
            out.append("# runtime ").append(target).append(" needs no infrastructure; this is what `./provision.java kubernetes` would create.\n");
        }
        out.append("# dry run: nothing was sent to AWS\n");
        out.append("# stack: ").append(config.get("stack_name")).append("\n");
        out.append("# region: ").append(config.get("region")).append("\n");
        out.append("# capabilities: CAPABILITY_IAM\n");
        out.append("# parameters:\n");
        Stacks.parameters(config).forEach((k, v) -> out.append("#   ").append(k).append("=").append(v).append("\n"));
        out.append("# template: ").append(Stacks.TEMPLATE).append("\n");
        out.append(Stacks.template());
        Console.text(out.toString());
    }

    public static void main(String... args) {
        System.exit(Cli.run(new provision(), args));
    }
}
