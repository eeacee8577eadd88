///usr/bin/env sh "$(dirname "$0")/jbang" "$0" "$@" ; exit $?
//JAVA 21+
// short-lived, and so is javac: the quick compiler and collector start faster (docs/benchmarks.md)
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED -Djava.awt.headless=true -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
//JAVAC_OPTIONS -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC
//SOURCES lib/config/Artifacts.java lib/report/BenchmarkReport.java lib/cli/Cli.java lib/cli/CliError.java lib/cli/Console.java lib/step/ImageStepCommand.java lib/image/Images.java lib/runtime/Runtimes.java

import lib.config.Artifacts;
import lib.report.BenchmarkReport;
import lib.cli.Console;
import lib.cli.Cli;
import lib.cli.CliError;
import lib.step.ImageStepCommand;
import lib.image.Images;
import lib.runtime.Runtimes;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "test.java", subcommands = HelpCommand.class,
        description = {"Builds, runs and manages load tests against the deployed model servers.",
                "Tests: seq (every model of every server in order), rnd (num_requests random requests),",
                "bmk (benchmark under load), bma (aggregate the results of finished bmk clients).",
                "Example: ./test.java run bmk && ./test.java run bma"})
public class test extends ImageStepCommand {
    public test() {
        super(Images.Kind.TEST);
    }

    @Command(name = "build", description = "Builds the test image (local: the client jar).")
    int build() {
        if (config().runtime().equals("local")) {
            Console.step("runtime=local: the test client runs as a jar: %s", Artifacts.clientJar(config()));
            return 0;
        }
        new Images(config()).build(Images.Kind.TEST);
        return 0;
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

    @Command(name = "status", description = "Shows the test clients, or only client N.")
    int status(@Parameters(paramLabel = "N", arity = "0..1") Integer n) {
        Integer index = Runtimes.checkClient(config(), n);
        Runtimes.of(config()).testStatus(index);
        return 0;
    }

    @Command(name = "logs", description = "Shows the logs of all test clients (prefixed), or of client N.")
    int logs(@Parameters(paramLabel = "N", arity = "0..1") Integer n,
             @Option(names = "--no-follow", description = "Print what is there and exit") boolean noFollow) {
        Integer index = Runtimes.checkClient(config(), n);
        Runtimes.of(config()).testLogs(index, !noFollow);
        return 0;
    }

    @Command(name = "exec", description = "Opens a shell in test client N (default 0).")
    int exec(@Parameters(paramLabel = "N", arity = "0..1", defaultValue = "0") int n) {
        Integer index = Runtimes.checkClient(config(), n);
        Runtimes.of(config()).testExec(index);
        return 0;
    }

    @Command(name = "stop", description = "Stops and removes the test clients.")
    int stop() {
        Runtimes.of(config()).testStop();
        return 0;
    }

    public static void main(String... args) {
        System.exit(Cli.run(new test(), args));
    }
}
