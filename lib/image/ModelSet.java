package lib.image;

//SOURCES ../config/ByteSize.java ../cli/CliError.java ../config/Config.java ../model/ModelEntries.java ../config/Names.java Pack.java

import java.util.List;
import java.util.Map;
import java.util.Set;
import lib.cli.CliError;
import lib.config.ByteSize;
import lib.config.Config;
import lib.config.Names;
import lib.model.ModelEntries;

/**
 * The distinct models one server serves, as config.properties names them: the model
 * (model_source, huggingface_model_name, num_models copies) and then extra_models, each
 * {@code name=source[*copies]}. Every step treats an extra model as the model with its own
 * model_source and name: trace writes trace-<name>/, pack puts it in models/<name>/.
 */
public final class ModelSet {
    /** One of extra_models. */
    public record Extra(String name, String source, int copies) {
    }

    private ModelSet() {
    }

    /** extra_models, checked: one line naming the entry when one is wrong. */
    public static List<Extra> extras(Config config) {
        try {
            return ModelEntries.parse("extra_models", "source", config.get("extra_models"),
                    Set.of(new Names(config).modelName())).stream().map(e -> new Extra(e.name(), e.value(), e.copies())).toList();
        } catch (IllegalArgumentException e) {
            throw CliError.badInput(e.getMessage() + " (source as model_source)");
        }
    }

    /** The configuration that traces and names an extra model as if it were the model. */
    public static Config configOf(Config config, Extra extra) {
        return config.with(Map.of("model_source", extra.source(), "huggingface_model_name", extra.name()));
    }

    /** Endpoints model<i> per server: every model's copies. */
    public static int totalCopies(Config config) {
        return config.getInt("num_models") + extras(config).stream().mapToInt(Extra::copies).sum();
    }

    /** model_memory_budget, checked: empty, a size (2Gi) or a share of the memory limit (60%). */
    public static String budget(Config config) {
        String value = config.get("model_memory_budget").strip();
        if (!value.isEmpty() && ByteSize.parse(value) < 0 && ByteSize.share(value) < 0) {
            throw CliError.badInput("model_memory_budget=" + value + " must be a size (2Gi, 1536Mi, bytes) or a share of the memory "
                    + "limit (60%), or empty");
        }
        return value;
    }

    /** MODELS for a server whose first model is in modelDir: the extras beside it, in models/<name>. */
    public static String serverEntries(Config config, String modelDir) {
        java.nio.file.Path extras = java.nio.file.Path.of(modelDir).resolveSibling(Pack.MODELS_DIR);
        return String.join(",", extras(config).stream()
                .map(e -> e.name() + "=" + extras.resolve(e.name()) + "*" + e.copies()).toList());
    }
}
