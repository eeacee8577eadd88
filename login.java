///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//SOURCES lib/*.java

import java.util.List;
import lib.Aws;
import lib.Cli;
import lib.Console;
import lib.Shell;
import lib.CliError;
import lib.StepCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

@Command(name = "login.java", subcommands = HelpCommand.class,
        description = "Logs the container CLI in to the registry (ECR: with a token from AWS; the password goes through stdin).")
public class login extends StepCommand {

    @Override
    public Integer call() {
        String cli = config().get("container_cli");
        if (!config().get("registry_type").equals("ecr")) {
            throw CliError.unsupported("registry_type=" + config().get("registry_type") + ": log in with '" + cli
                    + " login <registry>' yourself; login.java knows ECR");
        }
        Aws.Login login = Aws.ecrLogin(config());
        Console.step("Logging %s in to %s ...", cli, login.endpoint());
        // the password goes through stdin, never on a command line or into the output
        Shell.Result result = new Shell(config()).capture(List.of(cli, "login", "--username", login.user(), "--password-stdin",
                login.endpoint()), login.password());
        if (!result.ok()) {
            throw CliError.failed(cli + " login failed: " + result.output().strip().lines().reduce((a, b) -> b).orElse("exit code " + result.exitCode()));
        }
        Console.step("Logged in.");
        return 0;
    }

    public static void main(String... args) {
        System.exit(Cli.run(new login(), args));
    }
}
