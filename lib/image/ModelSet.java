package lib.image;

//SOURCES ../config/ByteSize.java ../cli/CliError.java ../config/Config.java ../model/ModelEntries.java ../config/Names.java ../store/Catalog.java Pack.java

import java.util.List;
import java.util.Map;
import java.util.Set;
import lib.cli.CliError;
import lib.config.ByteSize;
import lib.config.Config;
import lib.config.Names;
import lib.model.ModelEntries;
import lib.store.Catalog;

/**
 * The distinct models one server serves, as config.properties names them: the model
 * (model_source, huggingface_model_name, num_models copies) and then extra_models, each
 * {@code name=source[*copies]}. Every step treats an extra model as the model with its own
 * model_source and name: trace writes trace-<name>/, pack puts it in models/<name>/. With a model
 * store, extra_models may also select models of the store's index without a source (the
 * {@link Catalog}: *, prefix*, names), which no step traces or packs: the servers pull them.
 */
public final class ModelSet {
    /** One of extra_models. */
    public record Extra(String name, String source, int copies) {
    }

    private ModelSet() {
    }

    /** extra_models, checked: one line naming the entry when one is wrong. */
    public static List<Extra> extras(Config config) {
        catalog(config);
        try {
            return ModelEntries.parse("extra_models", "source", Catalog.sourcedEntries(config.get("extra_models")),
                    Set.of(new Names(config).modelName())).stream().map(e -> new Extra(e.name(), e.value(), e.copies())).toList();
        } catch (IllegalArgumentException e) {
            throw CliError.badInput(e.getMessage() + " (source as model_source)");
        }
    }

    /**
     * The selectors of extra_models (entries without a source), checked: they need model_store
     * (they name its models) and model_memory_budget (a catalog is loaded on demand, not all at start).
     */
    public static Catalog catalog(Config config) {
        Catalog catalog;
        try {
            catalog = Catalog.parse(config.get("extra_models"));
        } catch (IllegalArgumentException e) {
            throw CliError.badInput(e.getMessage());
        }
        if (!catalog.isEmpty() && config.get("model_store").isBlank()) {
            throw CliError.badInput("extra_models=" + String.join(",", catalog.selectors()) + " names models of a store's catalog: "
                    + "set model_store (docs/model-store.md), or give each model a source (name=source)");
        }
        if (!catalog.isEmpty() && config.get("model_memory_budget").isBlank()) {
            throw CliError.badInput("extra_models=" + String.join(",", catalog.selectors()) + " serves the store's catalog on "
                    + "demand: set model_memory_budget (a size, or a share of the memory limit) so that servers load what is asked");
        }
        return catalog;
    }

    /** The names of the models config names with a source: the model, then each extra model. */
    public static List<String> names(Config config) {
        List<String> names = new java.util.ArrayList<>(List.of(new Names(config).modelName()));
        extras(config).forEach(e -> names.add(e.name()));
        return names;
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
