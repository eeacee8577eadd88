///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
// javac runs briefly: the quick compiler and collector start faster (docs/benchmarks.md)
//JAVAC_OPTIONS -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC
//SOURCES lib/cli/Cli.java lib/config/Config.java lib/cli/Console.java lib/image/ModelSet.java lib/config/Names.java lib/step/StepCommand.java lib/trace/TraceCheck.java lib/trace/Tracer.java

import java.nio.file.Path;
import java.util.List;
import lib.cli.Cli;
import lib.config.Config;
import lib.cli.Console;
import lib.image.ModelSet;
import lib.config.Names;
import lib.trace.TraceCheck;
import lib.trace.Tracer;
import lib.step.StepCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

@Command(name = "trace.java", subcommands = HelpCommand.class,
        description = {"Turns the model named by model_source into TorchScript for the configured processor,",
                "writes trace-<model>/ and, with test=True, answers a test question with it."})
public class trace extends StepCommand {

    @Override
    public Integer call() {
        List<ModelSet.Extra> extras = ModelSet.extras(config());
        trace(config());
        for (ModelSet.Extra extra : extras) {
            trace(ModelSet.configOf(config(), extra));
        }
        return 0;
    }

    /** Traces one model: the configured one, or one of extra_models as if it were it. */
    private static void trace(Config config) {
        Names names = new Names(config);
        Console.step("Tracing %s (model_source=%s) for processor=%s, batch_size=%s, sequence_length=%s ...",
                names.modelName(), config.get("model_source"), config.processor(),
                config.get("batch_size"), config.get("sequence_length"));
        Path dir = Tracer.trace(config);
        Console.info("wrote %s", dir.resolve(names.tracedModelFile()));
        if (config.getBool("test")) {
            TraceCheck.run(config, dir);
        }
        Console.step("Done. Model saved in %s", dir);
    }

    public static void main(String... args) {
        System.exit(Cli.run(new trace(), args));
    }
}
