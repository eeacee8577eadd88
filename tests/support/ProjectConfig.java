package support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import lib.config.Config;

/** The repository's config.properties, copied once into a test's folder and loaded with overrides. */
public final class ProjectConfig {
    private ProjectConfig() {
    }

    /** Loads dir/config.properties (a copy of the repository's) with defaults, then overrides, on top. */
    public static Config load(Path dir, Map<String, String> defaults, Map<String, String> overrides) {
        Path file = dir.resolve("config.properties");
        try {
            if (!Files.exists(file)) {
                Files.copy(Path.of("config.properties"), file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> all = new HashMap<>(defaults);
        all.putAll(overrides);
        return Config.load(file, all);
    }
}
