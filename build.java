///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//SOURCES lib/*.java

import lib.Cli;
import lib.CliError;
import lib.StepCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

@Command(name = "build.java", subcommands = HelpCommand.class,
        description = {"Builds the base for the configured processor (with no sub-command).",
                "local: resolves and caches the engine's native library; docker, kubernetes: the base image."})
public class build extends StepCommand {

    @Override
    public Integer call() {
        config();
        throw CliError.unsupported("build arrives with issues #5 (local) and #6 (images)");
    }

    @Command(name = "push", description = "Pushes the base image to the registry (ECR: creates the repository when missing).")
    int push() {
        config();
        throw CliError.unsupported("build push arrives with issue #6 (images)");
    }

    @Command(name = "pull", description = "Pulls the base image from the registry.")
    int pull() {
        config();
        throw CliError.unsupported("build pull arrives with issue #6 (images)");
    }

    public static void main(String... args) {
        System.exit(Cli.run(new build(), args));
    }
}
