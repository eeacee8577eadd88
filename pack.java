///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
// javac runs briefly: the quick compiler and collector start faster (docs/benchmarks.md)
//JAVAC_OPTIONS -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC
//SOURCES lib/config/Artifacts.java lib/cli/Cli.java lib/cli/Console.java lib/step/ImageStepCommand.java lib/image/Images.java lib/image/ModelSet.java lib/image/Pack.java lib/image/StorePush.java

import java.nio.file.Path;
import java.util.List;
import lib.cli.Cli;
import lib.step.ImageStepCommand;
import lib.image.ModelSet;
import lib.image.Images;
import lib.cli.Console;
import lib.image.Pack;
import lib.image.StorePush;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

@Command(name = "pack.java", subcommands = HelpCommand.class,
        description = {"Packs the model server with the traced model and its configuration (with no sub-command).",
                "local: a folder under build/; docker, kubernetes: the model image FROM the base image."})
public class pack extends ImageStepCommand {
    @Override
    public Integer call() {
        List<String> extras = ModelSet.extras(config()).stream().map(ModelSet.Extra::name).toList();
        Console.step("Packing %s%s with %s ...", names().tracedModelFile(), extras.isEmpty() ? "" : " and extra_models " + extras,
                lib.config.Artifacts.SERVER_SOURCE);
        Path dir = Pack.assemble(config());
        Console.info("packed into %s (model-server.jar, model/, models/, config.properties)", dir);
        return buildImage();
    }

    /** With model_store set, push first publishes the traced models to the store and packs the server without them. */
    @Override
    protected void pushModels() {
        if (!config().get("model_store").isBlank()) {
            StorePush.push(config());
            Path dir = Pack.assemble(config());
            Console.info("packed the server without models into %s: servers pull them from %s", dir, config().get("model_store"));
        }
    }

    @Override
    protected Images.Kind image() {
        return Images.Kind.MODEL;
    }

    public static void main(String... args) {
        System.exit(Cli.run(new pack(), args));
    }
}
