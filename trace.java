///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//SOURCES lib/Cli.java lib/Config.java lib/Console.java lib/ModelSet.java lib/Names.java lib/StepCommand.java lib/TraceCheck.java lib/Tracer.java

import java.nio.file.Path;
import java.util.List;
import lib.Cli;
import lib.Config;
import lib.Console;
import lib.ModelSet;
import lib.Names;
import lib.TraceCheck;
import lib.Tracer;
import lib.StepCommand;
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
