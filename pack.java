///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//SOURCES lib/*.java

import lib.Cli;
import lib.CliError;
import lib.StepCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

@Command(name = "pack.java", subcommands = HelpCommand.class,
        description = {"Packs the model server with the traced model and its configuration (with no sub-command).",
                "local: a folder under build/; docker, kubernetes: the model image FROM the base image."})
public class pack extends StepCommand {

    @Override
    public Integer call() {
        config();
        throw CliError.unsupported("pack arrives with issues #5 (local) and #6 (images)");
    }

    @Command(name = "push", description = "Pushes the model image to the registry (ECR: creates the repository when missing).")
    int push() {
        config();
        throw CliError.unsupported("pack push arrives with issue #6 (images)");
    }

    @Command(name = "pull", description = "Pulls the model image from the registry.")
    int pull() {
        config();
        throw CliError.unsupported("pack pull arrives with issue #6 (images)");
    }

    public static void main(String... args) {
        System.exit(Cli.run(new pack(), args));
    }
}
