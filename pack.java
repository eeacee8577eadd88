///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
// javac runs briefly: the quick compiler and collector start faster (docs/benchmarks.md)
//JAVAC_OPTIONS -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC
//SOURCES lib/config/Artifacts.java lib/cli/Cli.java lib/cli/Console.java lib/step/ImageStepCommand.java lib/image/Images.java lib/image/ModelSet.java lib/image/Pack.java

import java.nio.file.Path;
import java.util.List;
import lib.cli.Cli;
import lib.step.ImageStepCommand;
import lib.image.ModelSet;
import lib.image.Images;
import lib.cli.Console;
import lib.image.Pack;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

@Command(name = "pack.java", subcommands = HelpCommand.class,
        description = {"Packs the model server with the traced model and its configuration (with no sub-command).",
                "local: a folder under build/; docker, kubernetes: the model image FROM the base image."})
public class pack extends ImageStepCommand {
    public pack() {
        super(Images.Kind.MODEL);
    }

    @Override
    public Integer call() {
        List<String> extras = ModelSet.extras(config()).stream().map(ModelSet.Extra::name).toList();
        Console.step("Packing %s%s with %s ...", names().tracedModelFile(), extras.isEmpty() ? "" : " and extra_models " + extras,
                lib.config.Artifacts.SERVER_SOURCE);
        Path dir = Pack.assemble(config());
        Console.info("packed into %s (model-server.jar, model/, models/, config.properties)", dir);
        if (config().runtime().equals("local")) {
            return 0;
        }
        new Images(config()).build(Images.Kind.MODEL);
        return 0;
    }

    public static void main(String... args) {
        System.exit(Cli.run(new pack(), args));
    }
}
