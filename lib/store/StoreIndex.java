package lib.store;

//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.4
//SOURCES Blobs.java Manifest.java StoreException.java StoreNames.java

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The store's `index.json`: for each model name its current version, size in bytes, precision and
 * processor. Publishing merges one entry into it; deploy reads it once and pins the versions.
 */
public record StoreIndex(Map<String, Entry> byName) {
    public static final String FILE = "index.json";

    /** One model of the store as it is now. */
    public record Entry(String name, String version, long size, String precision, String processor) {
        public Entry {
            StoreNames.name(name);
            StoreNames.version(version);
        }

        /** name@version, the form a server is handed. */
        public String pinned() {
            return name + "@" + version;
        }
    }

    public StoreIndex {
        byName = java.util.Collections.unmodifiableMap(new TreeMap<>(byName));
    }

    public static StoreIndex empty() {
        return new StoreIndex(Map.of());
    }

    /** The store's index; an empty one when the store has none yet. */
    public static StoreIndex read(Blobs blobs) {
        return blobs.read(FILE).map(b -> parse(b, FILE + " in " + blobs.describe())).orElse(empty());
    }

    public List<Entry> entries() {
        return List.copyOf(byName.values());
    }

    public Optional<Entry> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** This index with one entry put in, every other entry kept. */
    public StoreIndex with(Entry entry) {
        Map<String, Entry> m = new TreeMap<>(byName);
        m.put(entry.name(), entry);
        return new StoreIndex(m);
    }

    public byte[] toJson() {
        ObjectNode root = Manifest.JSON.createObjectNode();
        ObjectNode models = root.putObject("models");
        for (Entry e : byName.values()) {
            models.putObject(e.name()).put("version", e.version()).put("size", e.size())
                    .put("precision", e.precision()).put("processor", e.processor());
        }
        try {
            return Manifest.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses an index; an entry whose name or version could escape makes the whole index CORRUPT. */
    public static StoreIndex parse(byte[] json, String where) {
        JsonNode root;
        try {
            root = Manifest.JSON.readTree(new String(json, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.CORRUPT, where + " is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.path("models").isObject()) {
            throw new StoreException(StoreException.Kind.CORRUPT, where + " has no \"models\" object");
        }
        Map<String, Entry> m = new TreeMap<>();
        for (Map.Entry<String, JsonNode> f : root.path("models").properties()) {
            JsonNode v = f.getValue();
            try {
                m.put(f.getKey(), new Entry(f.getKey(), v.path("version").asText(null), v.path("size").asLong(0),
                        v.path("precision").asText(""), v.path("processor").asText("")));
            } catch (StoreException e) {
                throw new StoreException(StoreException.Kind.CORRUPT, where + ": " + e.getMessage());
            }
        }
        return new StoreIndex(m);
    }

    /** The names in order, for messages. */
    public List<String> names() {
        return new ArrayList<>(byName.keySet());
    }
}
