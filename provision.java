///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//SOURCES lib/*.java

import lib.Cli;
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
        config();
        throw CliError.unsupported("provision arrives with issue #8 (AWS)");
    }

    public static void main(String... args) {
        System.exit(Cli.run(new provision(), args));
    }
}
