package lib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lib.config.ConfigKey;
import lib.config.ConfigKeys;
import lib.runtime.ServerEnv;
import org.junit.jupiter.api.Test;

/**
 * A server setting's default is written in the server (what it takes when the variable is not
 * set) and stated in docs/server.md's table, in ConfigKeys (and config.properties, ConfigTest)
 * for the key of the same name in lower case, and for containers in ServerEnv and the
 * model-server Containerfile. They agree, except where a row of DIFFERENT says why they must not.
 */
class ServerDefaultsTest {
    /** A row of docs/server.md's settings table: | `A`, `B` | meaning | a, b |. */
    static final Pattern DOC_ROW = Pattern.compile("^\\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \\|.*\\| ([^|]*) \\|\\s*$", Pattern.MULTILINE);
    /** A default in server/ServerSettings.java: integer(env, "NAME", default, ... or bool(env, "NAME", default. */
    static final Pattern SERVER_DEFAULT = Pattern.compile("(?:integer|bool)\\(env, \"([A-Z_]+)\", ([^,)]+)");

    /** Config keys whose default is not the server's, and why. */
    static final Map<String, String> DIFFERENT = Map.of(
            "num_models", "config.properties keeps the original's 16 copies per server; a server started by hand serves one",
            "neuron_library_path", "the inf images hold the Neuron library there; other servers have none");

    @Test
    void theServerTheDocsAndTheConfigKeysStateTheSameDefaults() throws IOException {
        Map<String, String> docs = docDefaults();
        Map<String, String> server = serverDefaults();
        assertTrue(server.size() >= 10 && docs.size() >= 15, "read " + server + " and " + docs);
        server.forEach((name, value) -> assertEquals(value, docs.get(name), name + ": docs/server.md against server/ServerSettings.java"));
        Map<String, ConfigKey> keys = ConfigKeys.all();
        int compared = 0;
        for (Map.Entry<String, String> doc : docs.entrySet()) {
            ConfigKey key = keys.get(doc.getKey().toLowerCase(Locale.ROOT));
            if (key == null || doc.getValue().contains(" ")) {
                continue; // no key of that name, or a default the table describes in words
            }
            compared++;
            String config = normalize(key.defaultValue());
            if (DIFFERENT.containsKey(key.name())) {
                assertTrue(!config.equals(doc.getValue()), key.name() + " is listed as different but is not: " + DIFFERENT.get(key.name()));
            } else {
                assertEquals(doc.getValue(), config, key.name() + ": ConfigKeys against docs/server.md");
            }
        }
        assertTrue(compared >= 10, "compared " + compared + " config keys");
    }

    @Test
    void containersGetThePortsAndPathsServerEnvNames() throws IOException {
        String image = Files.readString(Path.of("Containerfiles/model-server"));
        assertEquals(Integer.toString(ServerEnv.CONTAINER_PORT), env(image, "PORT"));
        assertEquals(Integer.toString(ServerEnv.CONTAINER_PORT), serverDefaults().get("PORT"), "the server's own default port is the container's");
        assertEquals(Integer.toString(ServerEnv.CONTAINER_PROBE_PORT), env(image, "PROBE_PORT"),
                "the server alone opens no probe port (-1): containers and pods ask for one");
        assertEquals(ServerEnv.IMAGE_MODEL_DIR, env(image, "MODEL_DIR"));
        assertEquals(Integer.toString(ServerEnv.DRAIN_SECONDS), serverDefaults().get("DRAIN_SECONDS"));
    }

    static String env(String containerfile, String name) {
        Matcher m = Pattern.compile("(?m)^ENV (?:.* )?" + name + "=(\\S*)").matcher(containerfile);
        assertTrue(m.find(), "ENV " + name);
        return m.group(1);
    }

    /** docs/server.md: variable -> default, a row of several variables giving one default each. */
    static Map<String, String> docDefaults() throws IOException {
        Map<String, String> defaults = new TreeMap<>();
        Matcher m = DOC_ROW.matcher(Files.readString(Path.of("docs/server.md")));
        while (m.find()) {
            List<String> names = List.of(m.group(1).replace("`", "").split(", "));
            String[] values = m.group(2).strip().split(", ");
            for (int i = 0; i < names.size(); i++) {
                defaults.put(names.get(i), names.size() == values.length ? normalize(values[i]) : normalize(m.group(2).strip()));
            }
        }
        return defaults;
    }

    static Map<String, String> serverDefaults() throws IOException {
        Map<String, String> defaults = new LinkedHashMap<>();
        Matcher m = SERVER_DEFAULT.matcher(Files.readString(Path.of("server/ServerSettings.java")));
        while (m.find()) {
            String value = m.group(2).strip();
            Matcher shift = Pattern.compile("(\\d+) << (\\d+)").matcher(value);
            defaults.put(m.group(1), normalize(shift.matches()
                    ? Long.toString(Long.parseLong(shift.group(1)) << Integer.parseInt(shift.group(2))) : value.replace("_", "")));
        }
        return defaults;
    }

    /** true/True/TRUE alike, as the server and ConfigKey read booleans. */
    static String normalize(String value) {
        return value.equalsIgnoreCase("true") ? "True" : value.equalsIgnoreCase("false") ? "False" : value;
    }
}
