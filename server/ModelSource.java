package server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import lib.model.ModelEntries;

/**
 * One distinct model the server may serve: its name (/predictions/<name>), its trace folder, how
 * many copies (endpoints model<i>) it gets, and whether it is pinned (loaded at start, never
 * evicted). Copies of one model share its weights; distinct models do not.
 */
record ModelSource(String name, Path dir, int copies, boolean pinned) {

    ModelSource withPinned(boolean pin) {
        return new ModelSource(name, dir, copies, pin);
    }

    /**
     * The models: MODEL_DIR's first (named primaryName, NUM_MODELS copies), then MODELS, the
     * others as {@code name=folder[*copies]} separated by commas (lib/model/ModelEntries), e.g.
     * {@code squad-a=/app/models/squad-a*2,squad-b=/app/models/squad-b}. PINNED_MODELS empty pins
     * every model when there is no memory budget (all load at start), and none when there is one.
     */
    static List<ModelSource> of(String primaryName, Path modelDir, int numModels, String models, String pinned, boolean budget) {
        // one model needs no name rule (its copies are reached as model<i>); beside others it does
        String bad = models == null || models.isBlank() ? null : ModelEntries.nameProblem(primaryName);
        if (bad != null) {
            throw new ServerSettings.BadSetting("model name '" + primaryName + "' (MODEL_NAME or metadata.json): " + bad);
        }
        List<ModelEntries.Entry> extra;
        try {
            extra = ModelEntries.parse("MODELS", "folder", models, Set.of(primaryName));
        } catch (IllegalArgumentException e) {
            throw new ServerSettings.BadSetting(e.getMessage());
        }
        Set<String> names = new HashSet<>(Set.of(primaryName));
        for (ModelEntries.Entry e : extra) {
            if (!Files.isDirectory(Path.of(e.value()))) {
                throw new ServerSettings.BadSetting("MODELS entry '" + e.name() + "=" + e.value() + "': " + e.value() + " is not a folder");
            }
            names.add(e.name());
        }
        Set<String> pins = new HashSet<>();
        if (pinned != null && !pinned.isBlank()) {
            for (String p : pinned.split(",")) {
                String name = p.strip();
                if (!names.contains(name)) {
                    throw new ServerSettings.BadSetting("PINNED_MODELS names '" + name + "', which is not served; models: "
                            + names.stream().sorted().toList());
                }
                pins.add(name);
            }
        } else if (!budget) {
            pins.addAll(names);
        }
        List<ModelSource> all = new java.util.ArrayList<>();
        all.add(new ModelSource(primaryName, modelDir, numModels, pins.contains(primaryName)));
        extra.forEach(e -> all.add(new ModelSource(e.name(), Path.of(e.value()), e.copies(), pins.contains(e.name()))));
        return List.copyOf(all);
    }
}
