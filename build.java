///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
// javac runs briefly: the quick compiler and collector start faster (docs/benchmarks.md)
//JAVAC_OPTIONS -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC
//SOURCES lib/cli/Cli.java lib/step/ImageStepCommand.java lib/image/Images.java lib/runtime/LocalBase.java

import lib.cli.Cli;
import lib.step.ImageStepCommand;
import lib.image.Images;
import lib.runtime.LocalBase;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

@Command(name = "build.java", subcommands = HelpCommand.class,
        description = {"Builds the base for the configured processor (with no sub-command).",
                "local: resolves and caches the engine's native library; docker, kubernetes: the base image."})
public class build extends ImageStepCommand {
    @Override
    public Integer call() {
        if (config().runtime().equals("local")) {
            LocalBase.prepare(config());
        }
        return buildImage();
    }

    @Override
    protected Images.Kind image() {
        return Images.Kind.BASE;
    }

    public static void main(String... args) {
        System.exit(Cli.run(new build(), args));
    }
}
