///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//SOURCES lib/*.java

import lib.Cli;
import lib.Images;
import lib.Console;
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
        if (config().runtime().equals("local")) {
            return noImagesLocally("push");
        }
        new Images(config()).push(Images.Kind.BASE);
        return 0;
    }

    @Command(name = "pull", description = "Pulls the base image from the registry.")
    int pull() {
        if (config().runtime().equals("local")) {
            return noImagesLocally("pull");
        }
        new Images(config()).pull(Images.Kind.BASE);
        return 0;
    }

    /** Images are for the docker and kubernetes runtimes; the local runtime has none to move. */
    private int noImagesLocally(String what) {
        Console.step("runtime=local uses no images, so there is nothing to %s; set runtime=docker or kubernetes for images.", what);
        return 0;
    }

    public static void main(String... args) {
        System.exit(Cli.run(new build(), args));
    }
}
