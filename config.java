///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
// short-lived, and so is javac: the quick compiler and collector start faster (docs/benchmarks.md)
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
//JAVAC_OPTIONS -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC
//SOURCES lib/cli/Cli.java lib/cli/CliError.java lib/config/Config.java lib/cli/Console.java lib/config/ProcessorDefaults.java lib/cli/Shell.java lib/step/StepCommand.java

import java.util.ArrayList;
import java.util.List;
import lib.cli.Cli;
import lib.cli.CliError;
import lib.config.Config;
import lib.cli.Console;
import lib.config.ProcessorDefaults;
import lib.cli.Shell;
import lib.step.StepCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Parameters;

@Command(name = "config.java", subcommands = HelpCommand.class,
        description = {"Shows, checks and edits config.properties, the one file that configures every step.",
                "With no sub-command it opens the file in $EDITOR (on a terminal) or shows it."})
public class config extends StepCommand {

    @Override
    public Integer call() {
        return System.console() != null ? edit() : show();
    }

    @Command(name = "show", description = "Effective values after references and overrides, and where each came from.")
    int show() {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("KEY", "VALUE", "FROM"));
        for (Config.Entry e : config().entries()) {
            String from = e.origin().name().toLowerCase() + (e.note().isEmpty() ? "" : ": " + e.note());
            rows.add(List.of(e.key(), e.value(), from));
        }
        Console.table(rows);
        return 0;
    }

    @Command(name = "get", description = "Prints the effective value of one key.")
    int get(@Parameters(paramLabel = "KEY") String key) {
        Console.line(config().get(key));
        return 0;
    }

    @Command(name = "set", description = "Sets a key in config.properties, keeping comments and order.")
    int set(@Parameters(paramLabel = "KEY") String key, @Parameters(paramLabel = "VALUE", arity = "0..1") String value) {
        Config.set(configPath(), key, value == null ? "" : value);
        Console.step("%s=%s written to %s", key, value == null ? "" : value, configPath());
        return 0;
    }

    @Command(name = "validate", description = "Checks every key and value; exit code 2 names the first problem.")
    int validate() {
        Config c = config();
        ProcessorDefaults.instanceTypeProblem(c.get("instance_type"), c.processor()).ifPresent(w -> Console.warn("%s", w));
        Console.step("%s is valid (%d keys, processor=%s, runtime=%s)", c.file(), c.entries().size(), c.processor(), c.runtime());
        return 0;
    }

    @Command(name = "edit", description = "Opens config.properties in $EDITOR (vi when unset), then checks it.")
    int edit() {
        String editor = System.getenv().getOrDefault("EDITOR", "vi");
        int rc = new Shell(false).run(List.of("sh", "-c", editor + " \"$1\"", "editor", configPath().toString()));
        if (rc != 0) {
            throw CliError.failed(editor + " exited with " + rc);
        }
        return validate();
    }

    public static void main(String... args) {
        System.exit(Cli.run(new config(), args));
    }
}
