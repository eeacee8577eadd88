///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//SOURCES lib/*.java

import lib.Cli;
import lib.CliError;
import lib.StepCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

@Command(name = "login.java", subcommands = HelpCommand.class,
        description = "Logs the container CLI in to the registry (ECR: with a token from AWS; the password goes through stdin).")
public class login extends StepCommand {

    @Override
    public Integer call() {
        config();
        throw CliError.unsupported("login arrives with issue #8 (AWS)");
    }

    public static void main(String... args) {
        System.exit(Cli.run(new login(), args));
    }
}
