package lib.aws;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lib.cli.Console;
import lib.config.Config;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import support.AwsStub;

/**
 * Real SDK clients against {@link AwsStub}, with static test credentials from system properties
 * (the first link of the SDK's default chain) and the console captured.
 */
abstract class AwsTestBase {
    static final String ACCESS_KEY = "AKIDSTUBEXAMPLE";
    static final String SECRET_KEY = "stub-secret-key-never-printed";
    private static final List<String> PROPERTIES = List.of("aws.accessKeyId", "aws.secretAccessKey",
            "aws.sharedCredentialsFile", "aws.configFile", "aws.disableEc2Metadata");

    @TempDir
    Path dir;
    AwsStub stub;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    @BeforeEach
    void startStub() {
        stub = new AwsStub();
        Aws.endpointOverride = stub.endpoint();
        System.setProperty("aws.accessKeyId", ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", SECRET_KEY);
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        Console.redirect(print, print);
    }

    @AfterEach
    void stopStub() {
        stub.close();
        Aws.endpointOverride = null;
        PROPERTIES.forEach(System::clearProperty);
        Console.redirect(System.out, System.err);
    }

    /** What the code printed, to stdout and stderr together. */
    String printed() {
        return out.toString(StandardCharsets.UTF_8);
    }

    Config config(Map<String, String> overrides) {
        Config config = support.ProjectConfig.load(dir, Map.of(), overrides);
        return config.deriveWith("account", () -> Aws.accountId(config));
    }

    Config config() {
        return config(Map.of());
    }
}
