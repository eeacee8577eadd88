package lib.store;

//SOURCES Blobs.java ModelStores.java StoreException.java StoreIndex.java ../cli/CliError.java ../config/Config.java ../config/Names.java

import java.util.List;
import lib.cli.CliError;
import lib.config.Config;
import lib.config.Names;

/**
 * The model store as the steps see it through config.properties: whether one is set, opening it,
 * and the pins deploy hands the servers. Store failures become one-line CliErrors (exit 2 for
 * bad input, 1 otherwise).
 */
public final class StoreConfig {
    private StoreConfig() {
    }

    public static boolean enabled(Config config) {
        return !config.get("model_store").isBlank();
    }

    /** Opens the configured store (credentials: the SDK's default chain; region: config's). */
    public static Blobs open(Config config) {
        try {
            return ModelStores.open(config.get("model_store"), config.get("s3_endpoint"), config.get("region"));
        } catch (StoreException e) {
            throw error(e);
        }
    }

    public static CliError error(StoreException e) {
        return e.kind() == StoreException.Kind.BAD_INPUT ? CliError.badInput(e.getMessage()) : CliError.failed(e.getMessage());
    }

    /**
     * name@version for each model name, read from the index once: what deploy pins, so that a
     * later push changes no running server until the next deploy. A name not in the index is an
     * error that says to push.
     */
    public static List<String> pins(Config config, List<String> modelNames) {
        try (Blobs blobs = open(config)) {
            StoreIndex index = StoreIndex.read(blobs);
            return modelNames.stream().map(n -> index.find(n).orElseThrow(() -> CliError.badInput("model " + n
                    + " is not in the store index of " + blobs.describe() + ": run ./pack.java push")).pinned()).toList();
        } catch (StoreException e) {
            throw error(e);
        }
    }

    /** The model names the servers serve: the model, then extra_models (as Names writes them). */
    public static String modelName(Config config) {
        return new Names(config).modelName();
    }
}
