package lib;

//SOURCES ByteSize.java CliError.java Config.java Pack.java

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The distinct models one server serves, as config.properties names them: the model
 * (model_source, huggingface_model_name, num_models copies) and then extra_models, each
 * {@code name=source[*copies]}. Every step treats an extra model as the model with its own
 * model_source and name: trace writes trace-<name>/, pack puts it in models/<name>/.
 */
public final class ModelSet {
    private static final Pattern ENTRY = Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]{0,62})=([^*]+?)(?:\\*(\\d{1,4}))?");
    private static final Pattern COPY_ID = Pattern.compile("model\\d+");

    /** One of extra_models. */
    public record Extra(String name, String source, int copies) {
    }

    private ModelSet() {
    }

    /** extra_models, checked: one line naming the entry when one is wrong. */
    public static List<Extra> extras(Config config) {
        String value = config.get("extra_models");
        List<Extra> extras = new ArrayList<>();
        Set<String> names = new HashSet<>(Set.of(config.get("huggingface_model_name")));
        if (value.isBlank()) {
            return extras;
        }
        for (String part : value.split(",")) {
            String entry = part.strip();
            Matcher m = ENTRY.matcher(entry);
            if (!m.matches()) {
                throw CliError.badInput("extra_models entry '" + entry + "' must be name=source or name=source*copies "
                        + "(name: letters, digits, '.', '_', '-'; source as model_source)");
            }
            String name = m.group(1);
            if (COPY_ID.matcher(name).matches()) {
                throw CliError.badInput("extra_models entry '" + entry + "': model<N> names copies; choose another name");
            }
            if (!names.add(name)) {
                throw CliError.badInput("extra_models entry '" + entry + "': the name " + name + " is taken");
            }
            int copies = m.group(3) == null ? 1 : Integer.parseInt(m.group(3));
            if (copies < 1) {
                throw CliError.badInput("extra_models entry '" + entry + "': copies must be at least 1");
            }
            extras.add(new Extra(name, m.group(2).strip(), copies));
        }
        return extras;
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
        if (!value.isEmpty() && ByteSize.parse(value) < 0 && !value.matches("\\d{1,3}(\\.\\d+)?\\s*%")) {
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
