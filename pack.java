///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//SOURCES lib/Artifacts.java lib/Cli.java lib/Console.java lib/ImageTransfer.java lib/Images.java lib/Pack.java lib/StepCommand.java

import java.nio.file.Path;
import lib.Cli;
import lib.ImageTransfer;
import lib.Images;
import lib.Console;
import lib.Pack;
import lib.StepCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

@Command(name = "pack.java", subcommands = HelpCommand.class,
        description = {"Packs the model server with the traced model and its configuration (with no sub-command).",
                "local: a folder under build/; docker, kubernetes: the model image FROM the base image."})
public class pack extends StepCommand {

    @Override
    public Integer call() {
        Console.step("Packing %s with %s ...", names().tracedModelFile(), lib.Artifacts.SERVER_SOURCE);
        Path dir = Pack.assemble(config());
        Console.info("packed into %s (model-server.jar, model/, config.properties)", dir);
        if (config().runtime().equals("local")) {
            return 0;
        }
        new Images(config()).build(Images.Kind.MODEL);
        return 0;
    }

    @Command(name = "push", description = "Pushes the model image to the registry (ECR: creates the repository when missing).")
    int push() {
        return ImageTransfer.push(config(), Images.Kind.MODEL);
    }

    @Command(name = "pull", description = "Pulls the model image from the registry.")
    int pull() {
        return ImageTransfer.pull(config(), Images.Kind.MODEL);
    }

    public static void main(String... args) {
        System.exit(Cli.run(new pack(), args));
    }
}
