package server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One distinct model the server may serve: its name (/predictions/<name>), its trace folder, how
 * many copies (endpoints model<i>) it gets, and whether it is pinned (loaded at start, never
 * evicted). Copies of one model share its weights; distinct models do not.
 */
record ModelSource(String name, Path dir, int copies, boolean pinned) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern ENTRY = Pattern.compile("([^=,\\s]+)=([^,*]+?)(?:\\*(\\d{1,4}))?");
    /** The original's endpoint names: a model may not take one. */
    static final Pattern COPY_ID = Pattern.compile("model(\\d+)");

    ModelSource withPinned(boolean pin) {
        return new ModelSource(name, dir, copies, pin);
    }

    /**
     * MODELS: the models served besides MODEL_DIR's, as {@code name=folder[*copies]} separated by
     * commas (copies default to 1), e.g. {@code squad-a=/app/models/squad-a*2,squad-b=/app/models/squad-b}.
     */
    static List<ModelSource> parseExtra(String value) {
        List<ModelSource> models = new ArrayList<>();
        if (value == null || value.isBlank()) {
            return models;
        }
        for (String part : value.split(",")) {
            String entry = part.strip();
            Matcher m = ENTRY.matcher(entry);
            if (!m.matches()) {
                throw new ServerSettings.BadSetting("MODELS entry '" + entry + "' must be name=folder or name=folder*copies");
            }
            int copies = m.group(3) == null ? 1 : Integer.parseInt(m.group(3));
            if (copies < 1) {
                throw new ServerSettings.BadSetting("MODELS entry '" + entry + "': copies must be at least 1");
            }
            Path dir = Path.of(m.group(2).strip());
            if (!Files.isDirectory(dir)) {
                throw new ServerSettings.BadSetting("MODELS entry '" + entry + "': " + dir + " is not a folder");
            }
            models.add(new ModelSource(m.group(1), dir, copies, true));
        }
        return models;
    }

    /**
     * Checks names (unique, not an original endpoint name) and applies PINNED_MODELS: empty pins
     * every model when there is no memory budget (all load at start), and none when there is one.
     */
    static List<ModelSource> checked(List<ModelSource> models, String pinned, boolean budget) {
        Set<String> names = new HashSet<>();
        for (ModelSource s : models) {
            if (!NAME.matcher(s.name).matches() || COPY_ID.matcher(s.name).matches()) {
                throw new ServerSettings.BadSetting("model name '" + s.name + "' must be letters, digits, '.', '_' or '-' "
                        + "(at most 63) and not model<N>, which names copies");
            }
            if (!names.add(s.name)) {
                throw new ServerSettings.BadSetting("model name '" + s.name + "' is given twice");
            }
        }
        Set<String> pins = new HashSet<>();
        if (pinned != null && !pinned.isBlank()) {
            for (String p : pinned.split(",")) {
                String name = p.strip();
                if (!names.contains(name)) {
                    throw new ServerSettings.BadSetting("PINNED_MODELS names '" + name + "', which is not served; models: " + names);
                }
                pins.add(name);
            }
        } else if (!budget) {
            pins.addAll(names);
        }
        return models.stream().map(s -> s.withPinned(pins.contains(s.name))).toList();
    }
}
