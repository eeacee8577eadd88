package lib.store;

//SOURCES Blobs.java Catalog.java Placement.java StoreConfig.java StoreException.java StoreIndex.java ../cli/CliError.java ../config/Config.java

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import lib.cli.CliError;
import lib.config.Config;

/**
 * What the servers of one deploy serve from the store, read from its index once: the models
 * config names (the model, the extra models with a source) and the catalog extra_models selects,
 * each pinned at its current version, and where each is placed ({@link Placement} over
 * num_servers with model_replicas). deploy hands the pins to every server, the load clients get
 * the catalog's names, and `deploy models` prints it all.
 */
public record StoreCatalog(List<StoreIndex.Entry> named, List<StoreIndex.Entry> catalog, int servers, int replicas) {
    public StoreCatalog {
        named = List.copyOf(named);
        catalog = List.copyOf(catalog);
    }

    /** Reads the index of the configured store; a name not in it is one line saying to push. */
    public static StoreCatalog read(Config config, Catalog selectors, List<String> namedModels) {
        try (Blobs blobs = StoreConfig.open(config)) {
            return of(StoreIndex.read(blobs), selectors, namedModels, blobs.describe(), config.getInt("num_servers"),
                    config.getInt("model_replicas"));
        } catch (StoreException e) {
            throw StoreConfig.error(e);
        }
    }

    static StoreCatalog of(StoreIndex index, Catalog selectors, List<String> namedModels, String where, int servers, int replicas) {
        if (replicas < 1) {
            throw CliError.badInput("model_replicas=" + replicas + " must be 1 or more");
        }
        List<StoreIndex.Entry> named = new ArrayList<>();
        for (String n : namedModels) {
            named.add(index.find(n).orElseThrow(() -> CliError.badInput("model " + n + " is not in the store index of " + where
                    + ": run ./pack.java push")));
        }
        List<String> names;
        try {
            names = selectors.expand(index.names(), new HashSet<>(namedModels), where);
        } catch (IllegalArgumentException e) {
            throw CliError.badInput(e.getMessage());
        }
        return new StoreCatalog(named, names.stream().map(n -> index.find(n).orElseThrow()).toList(), servers, replicas);
    }

    /** Every model served, the named ones first. */
    public List<StoreIndex.Entry> all() {
        List<StoreIndex.Entry> all = new ArrayList<>(named);
        all.addAll(catalog);
        return all;
    }

    /** The catalog's model names, in order: what the load clients pick from. */
    public List<String> catalogNames() {
        return catalog.stream().map(StoreIndex.Entry::name).toList();
    }

    /**
     * The listing of `deploy models`: a header, then each model's name, version, size in MB,
     * precision and preferred servers (indexes, best first; the named models are on every server).
     */
    public List<List<String>> table() {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("MODEL", "VERSION", "SIZE", "PRECISION", "SERVERS"));
        String every = "all";
        for (StoreIndex.Entry e : named) {
            rows.add(List.of(e.name(), e.version(), megabytes(e.size()), e.precision(), every));
        }
        for (StoreIndex.Entry e : catalog) {
            StringBuilder on = new StringBuilder();
            for (int s : preferred(e.name())) {
                on.append(on.isEmpty() ? "" : ",").append(s);
            }
            rows.add(List.of(e.name(), e.version(), megabytes(e.size()), e.precision(), on.toString()));
        }
        return rows;
    }

    /** How many catalog models prefer each server, first choice or not. */
    public int[] modelsPerServer() {
        int[] count = new int[servers];
        for (StoreIndex.Entry e : catalog) {
            for (int s : preferred(e.name())) {
                count[s]++;
            }
        }
        return count;
    }

    private static String megabytes(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    /** A model's preferred servers, best first. */
    public int[] preferred(String name) {
        return Placement.preferred(name, servers, replicas);
    }
}
