package lib.step;

//SOURCES ../config/Artifacts.java ../aws/Aws.java ../config/Config.java ../cli/Console.java ../config/Names.java ../cli/Version.java

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import lib.aws.Aws;
import lib.cli.Console;
import lib.cli.Version;
import lib.config.Artifacts;
import lib.config.Config;
import lib.config.Names;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * What every lifecycle script has in common: the options that pick and override the configuration,
 * the configuration itself (read once, lazily), and the names and runtime derived from it.
 * With no sub-command a script does its default action ({@link #call}); scripts without one print help.
 */
@Command(mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        usageHelpAutoWidth = true, showAtFileInUsageHelp = false)
public abstract class StepCommand implements Callable<Integer> {
    @Spec
    protected CommandSpec spec;

    private final Map<String, String> overrides = new LinkedHashMap<>();
    private Path configFile;
    private Config config;

    @Option(names = "-D", paramLabel = "key=value", scope = ScopeType.INHERIT, order = 100,
            description = "Override a config.properties key for this run, e.g. -Dprocessor=gpu")
    void define(Map<String, String> values) {
        overrides.putAll(values);
    }

    @Option(names = "--set", paramLabel = "key=value", scope = ScopeType.INHERIT, order = 101,
            description = "Same as -D")
    void set(Map<String, String> values) {
        overrides.putAll(values);
    }

    @Option(names = "--config", paramLabel = "FILE", scope = ScopeType.INHERIT, order = 102,
            description = "Configuration file (default: $JDO_CONFIG, or config.properties next to the scripts)")
    void configFile(Path file) {
        configFile = file;
    }

    /** The default action when no sub-command is given: help, unless a script says otherwise. */
    @Override
    public Integer call() {
        spec.commandLine().usage(Console.stdout());
        return 0;
    }

    /** The configuration, read and checked on first use. */
    protected Config config() {
        if (config == null) {
            config = Config.load(configPath(), overrides);
            config.deriveWith("account", () -> Aws.accountId(config));
        }
        return config;
    }

    /**
     * The configuration for a dry run, which only shows what would be done: an account that AWS
     * cannot tell (no credentials) becomes a visible placeholder with a warning instead of an error.
     */
    protected Config dryRunConfig() {
        Config c = config();
        c.deriveWith("account", () -> Aws.accountIdOrPlaceholder(c));
        return c;
    }

    protected Names names() {
        return new Names(config());
    }

    protected Path configPath() {
        if (configFile != null) {
            return configFile;
        }
        String env = System.getenv("JDO_CONFIG");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        // config.properties sits beside the scripts, wherever they are run from
        Path beside = Artifacts.sourceRoot().resolve("config.properties");
        return Files.isRegularFile(beside) ? beside : Path.of("config.properties").toAbsolutePath();
    }
}
