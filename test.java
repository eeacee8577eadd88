///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
// short-lived, and so is javac: the quick compiler and collector start faster (docs/benchmarks.md)
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED -Djava.awt.headless=true -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
//JAVAC_OPTIONS -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC
//SOURCES lib/config/Artifacts.java lib/report/BenchmarkReport.java lib/cli/Cli.java lib/cli/CliError.java lib/cli/Console.java lib/step/ImageStepCommand.java lib/image/Images.java lib/runtime/Runtimes.java lib/step/FleetCommands.java

import lib.config.Artifacts;
import lib.report.BenchmarkReport;
import lib.cli.Console;
import lib.cli.Cli;
import lib.cli.CliError;
import lib.step.FleetCommands;
import lib.step.ImageStepCommand;
import lib.image.Images;
import lib.runtime.Runtimes;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "test.java", subcommands = HelpCommand.class,
        description = {"Builds, runs and manages load tests against the deployed model servers.",
                "Tests: seq (every model of every server in order), rnd (num_requests random requests),",
                "bmk (benchmark under load), bma (aggregate the results of finished bmk clients).",
                "Example: ./test.java run bmk && ./test.java run bma"})
public class test extends ImageStepCommand {
    @Command(name = "build", description = "Builds the test image (local: the client jar).")
    int build() {
        if (config().runtime().equals("local")) {
            Console.step("runtime=local: the test client runs as a jar: %s", Artifacts.clientJar(config()));
        }
        return buildImage();
    }

    @Command(name = "run", description = "Runs a test in num_test_containers clients (seq, rnd, bmk), aggregates (bma), or starts idle clients.")
    int run(@Parameters(paramLabel = "TEST", arity = "0..1", description = "seq, rnd, bmk or bma") String testName) {
        config();
        if (testName != null && !java.util.List.of("seq", "rnd", "bmk", "bma").contains(testName)) {
            throw CliError.badInput("unknown test '" + testName + "': use seq, rnd, bmk or bma");
        }
        if ("bma".equals(testName)) {
            BenchmarkReport.print(config(), Runtimes.of(config()).finishedTestOutputs());
        } else {
            Runtimes.of(config()).testRun(testName);
        }
        return 0;
    }

    /** status, logs, exec and stop of the test clients. */
    @Spec
    void fleet(CommandSpec spec) {
        FleetCommands.add(this, spec, FleetCommands.Fleet.CLIENTS, index -> { });
    }

    @Override
    protected Images.Kind image() {
        return Images.Kind.TEST;
    }

    public static void main(String... args) {
        System.exit(Cli.run(new test(), args));
    }
}
