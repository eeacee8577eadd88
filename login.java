///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
// short-lived, and so is javac: the quick compiler and collector start faster (docs/benchmarks.md)
//JAVA_OPTIONS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
//JAVAC_OPTIONS -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC
//SOURCES lib/aws/Aws.java lib/cli/Cli.java lib/config/Config.java lib/cli/Shell.java lib/step/StepCommand.java

import lib.aws.Aws;
import lib.cli.Cli;
import lib.config.Config;
import lib.cli.Shell;
import lib.step.StepCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

@Command(name = "login.java", subcommands = HelpCommand.class,
        description = {"Logs the container CLI in to the registry (ECR: with a token from AWS; the password goes through stdin).",
                "registry_type=other: exits 3 and says to run `<container_cli> login` yourself."})
public class login extends StepCommand {

    @Override
    public Integer call() {
        Config config = config();
        Aws.login(config, new Shell(config.verbose()), config.get("container_cli"));
        return 0;
    }

    public static void main(String... args) {
        System.exit(Cli.run(new login(), args));
    }
}
