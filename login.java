///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//SOURCES lib/Aws.java lib/Cli.java lib/Config.java lib/Shell.java lib/StepCommand.java

import lib.Aws;
import lib.Cli;
import lib.Config;
import lib.Shell;
import lib.StepCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

@Command(name = "login.java", subcommands = HelpCommand.class,
        description = {"Logs the container CLI in to the registry (ECR: with a token from AWS; the password goes through stdin).",
                "registry_type=other: exits 3 and says to run `<container_cli> login` yourself."})
public class login extends StepCommand {

    @Override
    public Integer call() {
        Config config = config();
        Aws.login(config, new Shell(config), config.get("container_cli"));
        return 0;
    }

    public static void main(String... args) {
        System.exit(Cli.run(new login(), args));
    }
}
