///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//SOURCES lib/*.java

import lib.Cli;
import lib.CliError;
import lib.StepCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

@Command(name = "trace.java", subcommands = HelpCommand.class,
        description = {"Turns the model named by model_source into TorchScript for the configured processor,",
                "writes trace-<model>/ and, with test=True, answers a test question with it."})
public class trace extends StepCommand {

    @Override
    public Integer call() {
        config();
        throw CliError.unsupported("trace arrives with issue #3 (model)");
    }

    public static void main(String... args) {
        System.exit(Cli.run(new trace(), args));
    }
}
