package lib.store;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The models of a store's index that extra_models selects without listing them, its entries that
 * have no `=source`: `*` (every model of the index), a name prefix followed by `*` (`bert-*`), or
 * a name. Expanded against the index once per command, so the servers and the load clients agree
 * on one catalog however many models the index holds.
 */
public record Catalog(List<String> selectors) {
    private static final Pattern SELECTOR = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}|[A-Za-z0-9._-]{0,62}\\*");

    public Catalog {
        selectors = List.copyOf(selectors);
    }

    /**
     * The selectors of an extra_models value (its entries without '='); the entries with '=' are
     * ModelSet's. A selector that is not a name or a prefix ending in one '*' is an
     * IllegalArgumentException naming it.
     */
    public static Catalog parse(String extraModels) {
        List<String> selectors = new ArrayList<>();
        if (extraModels != null) {
            for (String part : extraModels.split(",")) {
                String s = part.strip();
                if (s.isEmpty() || s.contains("=")) {
                    continue;
                }
                if (!SELECTOR.matcher(s).matches()) {
                    throw new IllegalArgumentException("extra_models entry '" + s + "' must be name=source[*copies], a model name of "
                            + "the store, a prefix followed by * (bert-*), or * (every model of the store)");
                }
                selectors.add(s);
            }
        }
        return new Catalog(selectors);
    }

    /** The extra_models entries that are not selectors (name=source[*copies]), as one value again. */
    public static String sourcedEntries(String extraModels) {
        List<String> kept = new ArrayList<>();
        if (extraModels != null) {
            for (String part : extraModels.split(",")) {
                if (part.contains("=")) {
                    kept.add(part.strip());
                }
            }
        }
        return String.join(",", kept);
    }

    public boolean isEmpty() {
        return selectors.isEmpty();
    }

    /**
     * The names of the index the selectors choose, sorted and each once, leaving out `served` (the
     * model and the sourced extra models, served anyway). A selector that chooses nothing is an
     * IllegalArgumentException naming it and `where` (the store): a catalog is never silently empty.
     */
    public List<String> expand(Collection<String> indexNames, Set<String> served, String where) {
        Set<String> chosen = new LinkedHashSet<>();
        TreeSet<String> names = new TreeSet<>(indexNames);
        for (String s : selectors) {
            List<String> matched;
            if (s.endsWith("*")) {
                String prefix = s.substring(0, s.length() - 1);
                matched = names.stream().filter(n -> n.startsWith(prefix)).toList();
            } else {
                matched = names.contains(s) ? List.of(s) : List.of();
            }
            if (matched.isEmpty()) {
                throw new IllegalArgumentException("extra_models entry '" + s + "' matches no model of the store index of " + where
                        + ": run ./pack.java push");
            }
            chosen.addAll(matched);
        }
        chosen.removeAll(served);
        return List.copyOf(new TreeSet<>(chosen));
    }
}
