package support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import lib.config.Config;
import lib.trace.Tracer;

/** A trace folder of the bundled model, written by the real trace step into a temporary project. */
public final class TracedModel {
    private TracedModel() {
    }

    public static Path bundled(Path dir, Map<String, String> overrides) throws IOException {
        Files.createDirectories(dir);
        Path config = dir.resolve("config.properties");
        if (!Files.exists(config)) {
            Files.copy(Scripts.ROOT.resolve("config.properties"), config);
        }
        return Tracer.trace(Config.load(config, overrides));
    }
}
