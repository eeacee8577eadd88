///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//SOURCES lib/Cli.java lib/ImageTransfer.java lib/Images.java lib/LocalBase.java lib/StepCommand.java

import lib.Cli;
import lib.ImageTransfer;
import lib.Images;
import lib.LocalBase;
import lib.StepCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

@Command(name = "build.java", subcommands = HelpCommand.class,
        description = {"Builds the base for the configured processor (with no sub-command).",
                "local: resolves and caches the engine's native library; docker, kubernetes: the base image."})
public class build extends StepCommand {

    @Override
    public Integer call() {
        if (config().runtime().equals("local")) {
            LocalBase.prepare(config());
            return 0;
        }
        new Images(config()).build(Images.Kind.BASE);
        return 0;
    }

    @Command(name = "push", description = "Pushes the base image to the registry (ECR: creates the repository when missing).")
    int push() {
        return ImageTransfer.push(config(), Images.Kind.BASE);
    }

    @Command(name = "pull", description = "Pulls the base image from the registry.")
    int pull() {
        return ImageTransfer.pull(config(), Images.Kind.BASE);
    }

    public static void main(String... args) {
        System.exit(Cli.run(new build(), args));
    }
}
