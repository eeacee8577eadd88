package lib.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A list of models as both ends write it, {@code name=value[*copies]} separated by commas:
 * config.properties' extra_models (value: a model source) and the server's MODELS (value: a trace
 * folder). One grammar and one naming rule, so what pack accepts the server accepts too.
 */
public final class ModelEntries {
    private static final Pattern ENTRY = Pattern.compile("([^=,\\s]+)=([^,*]+?)(?:\\*(\\d{1,4}))?");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    /** The original's endpoint names, model<N>: they name copies, so no model may take one. */
    public static final Pattern COPY_ID = Pattern.compile("model(\\d+)");

    /** One entry. */
    public record Entry(String name, String value, int copies) {
    }

    private ModelEntries() {
    }

    /**
     * The entries of {@code text} (empty: none); an entry whose form, name or copies are wrong, or
     * whose name is in {@code taken} or given twice, is an IllegalArgumentException with one line
     * naming {@code key} and the entry. {@code value} names what follows '=' in that line.
     */
    public static List<Entry> parse(String key, String value, String text, Set<String> taken) {
        List<Entry> entries = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return entries;
        }
        Set<String> names = new java.util.HashSet<>(taken);
        for (String part : text.split(",")) {
            String entry = part.strip();
            Matcher m = ENTRY.matcher(entry);
            if (!m.matches()) {
                throw new IllegalArgumentException(key + " entry '" + entry + "' must be name=" + value + " or name=" + value + "*copies");
            }
            String name = m.group(1);
            String bad = nameProblem(name);
            if (bad != null) {
                throw new IllegalArgumentException(key + " entry '" + entry + "': " + bad);
            }
            if (!names.add(name)) {
                throw new IllegalArgumentException(key + " entry '" + entry + "': the name " + name + " is taken");
            }
            int copies = m.group(3) == null ? 1 : Integer.parseInt(m.group(3));
            if (copies < 1) {
                throw new IllegalArgumentException(key + " entry '" + entry + "': copies must be at least 1");
            }
            entries.add(new Entry(name, m.group(2).strip(), copies));
        }
        return entries;
    }

    /** Why a model name cannot be used, or null when it can. */
    public static String nameProblem(String name) {
        if (COPY_ID.matcher(name).matches()) {
            return "model<N> names copies; choose another name";
        }
        if (!NAME.matcher(name).matches()) {
            return "a model name is letters, digits, '.', '_' or '-' (at most 63, not starting with '.', '_' or '-')";
        }
        return null;
    }
}
