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
        config();
        throw CliError.unsupported("remove arrives with issue #8 (AWS)");
    }

    public static void main(String... args) {
        System.exit(Cli.run(new remove(), args));
    }
}
