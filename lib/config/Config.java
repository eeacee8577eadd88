package lib.config;

//SOURCES ../cli/CliError.java ConfigKey.java ConfigKeys.java ProcessorDefaults.java

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lib.cli.CliError;

/**
 * config.properties, read once per command: file values, then -D/--set overrides, then references
 * to other keys (${processor}) resolved, then checked against {@link ConfigKeys}. The file is data:
 * nothing in it is executed. Values that must be derived (the AWS account) are asked for only when
 * a step reads a key that needs them.
 */
public final class Config {
    private static final Pattern REFERENCE = Pattern.compile("\\$\\{([^}]*)}");

    /** Where a value came from, for `config.java show`. */
    public enum Origin { FILE, OVERRIDE, DEFAULT, DERIVED }

    public record Entry(String key, String value, Origin origin, String note) {
    }

    private final Path file;
    private final Map<String, String> fileValues;
    private final Map<String, String> overrides;
    private final Map<String, Supplier<String>> derivers = new HashMap<>();
    private final Map<String, String> resolved = new HashMap<>();

    private Config(Path file, Map<String, String> fileValues, Map<String, String> overrides) {
        this.file = file;
        this.fileValues = fileValues;
        this.overrides = overrides;
    }

    /** Reads and checks the file; every problem is a one-line {@link CliError} with exit code 2. */
    public static Config load(Path file, Map<String, String> overrides) {
        if (!Files.isRegularFile(file)) {
            throw CliError.badInput("configuration file not found: " + file);
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw CliError.badInput("cannot read " + file + ": " + e.getMessage());
        }
        Map<String, String> values = parse(text, file);
        Map<String, String> checkedOverrides = new LinkedHashMap<>();
        overrides.forEach((key, value) -> {
            checkKnown(key, "override -D" + key);
            checkedOverrides.put(key, unquote(value));
        });
        Config config = new Config(file.toAbsolutePath().normalize(), values, checkedOverrides);
        config.validate();
        return config;
    }

    /** The same configuration with more overrides, e.g. one of extra_models in place of the model. */
    public Config with(Map<String, String> more) {
        Map<String, String> merged = new LinkedHashMap<>(overrides);
        more.forEach((key, value) -> {
            checkKnown(key, "override " + key);
            merged.put(key, value);
        });
        Config config = new Config(file, fileValues, merged);
        config.derivers.putAll(derivers);
        config.validate();
        return config;
    }

    /** Parses properties text, keeping the file's order; unknown keys are errors naming the line. */
    static Map<String, String> parse(String text, Path file) {
        Map<String, String> ordered = new LinkedHashMap<>();
        Properties properties = new Properties() {
            @Override
            public synchronized Object put(Object key, Object value) {
                ordered.put((String) key, unquote((String) value));
                return super.put(key, value);
            }
        };
        try (Reader reader = new StringReader(text)) {
            properties.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw CliError.badInput(file + ": " + e.getMessage());
        }
        for (String key : ordered.keySet()) {
            checkKnown(key, file.getFileName() + ":" + lineOf(text, key));
        }
        String account = ordered.get("account");
        if (account != null && account.contains("$(")) {
            throw CliError.badInput(file.getFileName() + ":" + lineOf(text, "account")
                    + ": account runs a shell command; commands are not run here. Leave account empty to derive it from AWS STS");
        }
        return ordered;
    }

    private static void checkKnown(String key, String where) {
        if (ConfigKeys.find(key).isEmpty()) {
            String hint = ConfigKeys.nearest(key).map(k -> " (did you mean " + k + "?)").orElse("");
            throw CliError.badInput(where + ": unknown key '" + key + "'" + hint);
        }
    }

    private static int lineOf(String text, String key) {
        String[] lines = text.split("\n", -1);
        Pattern p = Pattern.compile("^\\s*" + Pattern.quote(key) + "\\s*[=:\\s]");
        for (int i = 0; i < lines.length; i++) {
            if (p.matcher(lines[i] + " ").find()) {
                return i + 1;
            }
        }
        return 0;
    }

    /** The original's file quotes some values like shell ("--gpus 0"); the quotes are not part of them. */
    static String unquote(String value) {
        String v = value.strip();
        if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
            return v.substring(1, v.length() - 1);
        }
        return v;
    }

    /** Registers how to derive a key whose value is empty (e.g. account from AWS STS); asked at most once. */
    public Config deriveWith(String key, Supplier<String> deriver) {
        derivers.put(key, deriver);
        return this;
    }

    /** Resolves and checks every key that can be resolved without deriving anything. */
    private void validate() {
        for (String key : ConfigKeys.all().keySet()) {
            try {
                resolve(key, new ArrayDeque<>(), false);
            } catch (NeedsDerivation e) {
                // checked when a step reads it
            }
        }
    }

    /** The effective value of a key, with references resolved. */
    public String get(String key) {
        checkKnown(key, "config");
        return resolve(key, new ArrayDeque<>(), true);
    }

    public int getInt(String key) {
        return Integer.parseInt(get(key).trim());
    }

    public boolean getBool(String key) {
        return ConfigKey.parseBool(get(key));
    }

    public String processor() {
        return get("processor");
    }

    public String runtime() {
        return get("runtime");
    }

    public boolean verbose() {
        return getBool("verbose");
    }

    /** The configuration file in use. */
    public Path file() {
        return file;
    }

    /** The folder that holds config.properties: generated files and state live below it. */
    public Path projectDir() {
        return file.getParent();
    }

    private String raw(String key) {
        if (overrides.containsKey(key)) {
            return overrides.get(key);
        }
        if (fileValues.containsKey(key)) {
            return fileValues.get(key);
        }
        return ConfigKeys.find(key).orElseThrow().defaultValue();
    }

    private Origin origin(String key) {
        if (overrides.containsKey(key)) {
            return Origin.OVERRIDE;
        }
        return fileValues.containsKey(key) ? Origin.FILE : Origin.DEFAULT;
    }

    private static final class NeedsDerivation extends RuntimeException {
        NeedsDerivation() {
            super(null, null, false, false);
        }
    }

    private String resolve(String key, Deque<String> visiting, boolean derive) {
        String cached = resolved.get(key);
        if (cached != null) {
            return cached;
        }
        if (visiting.contains(key)) {
            List<String> cycle = new ArrayList<>(visiting);
            java.util.Collections.reverse(cycle);
            cycle.add(key);
            throw CliError.badInput("circular reference: " + String.join(" -> ", cycle));
        }
        visiting.push(key);
        String value = raw(key);
        if (value.isEmpty() && ProcessorDefaults.follows(key)) {
            value = ProcessorDefaults.of(key, resolve("processor", visiting, derive)).orElse(value);
        }
        if (value.isEmpty() && isDerivable(key)) {
            if (!derive) {
                throw new NeedsDerivation();
            }
            Supplier<String> deriver = derivers.get(key);
            if (deriver == null) {
                throw CliError.badInput(key + " is empty and this step cannot derive it; set " + key + " in " + file.getFileName());
            }
            value = deriver.get();
        }
        Matcher m = REFERENCE.matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String ref = m.group(1);
            if (ConfigKeys.find(ref).isEmpty()) {
                String hint = ConfigKeys.nearest(ref).map(k -> " (did you mean " + k + "?)").orElse("");
                throw CliError.badInput(key + " refers to unknown key '${" + ref + "}'" + hint);
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(resolve(ref, visiting, derive)));
        }
        m.appendTail(sb);
        visiting.pop();
        String result = sb.toString();
        String problem = ConfigKeys.find(key).orElseThrow().problem(result);
        if (problem != null) {
            throw CliError.badInput(problem + where(key));
        }
        resolved.put(key, result);
        return result;
    }

    /** Keys whose empty value stands for "derive it"; only the AWS account today. */
    private static boolean isDerivable(String key) {
        return key.equals("account");
    }

    private String where(String key) {
        return switch (origin(key)) {
            case OVERRIDE -> " (from -D" + key + ")";
            case FILE -> " (in " + file.getFileName() + ")";
            default -> "";
        };
    }

    /** Every key with its effective value and origin; derived values are not asked for. */
    public List<Entry> entries() {
        List<Entry> entries = new ArrayList<>();
        for (String key : ConfigKeys.all().keySet()) {
            try {
                String value = resolve(key, new ArrayDeque<>(), false);
                boolean follows = ProcessorDefaults.follows(key) && raw(key).isEmpty();
                entries.add(new Entry(key, value, origin(key), follows ? "follows processor" : ""));
            } catch (NeedsDerivation e) {
                boolean self = raw(key).isEmpty();
                entries.add(new Entry(key, raw(key), self ? Origin.DERIVED : origin(key),
                        self ? "derived from AWS STS when a step needs it" : "refers to a derived value"));
            }
        }
        return entries;
    }

    /**
     * Sets one key in the file, keeping every comment and the order of lines; a key the file lacks
     * is appended. The value is checked first and the file replaced atomically, so a bad value
     * leaves the file as it was.
     */
    public static void set(Path file, String key, String value) {
        checkKnown(key, "config set");
        if (value.contains("\n")) {
            throw CliError.badInput("the value of " + key + " must be one line");
        }
        load(file, Map.of(key, value));
        try {
            List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
            Pattern p = Pattern.compile("^(\\s*)" + Pattern.quote(key) + "(\\s*[=:]\\s*|\\s+).*$");
            String escaped = value.replace("\\", "\\\\");
            boolean replaced = false;
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = p.matcher(lines.get(i));
                if (m.matches()) {
                    lines.set(i, m.group(1) + key + "=" + escaped);
                    replaced = true;
                }
            }
            if (!replaced) {
                lines.add(key + "=" + escaped);
            }
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".config", ".tmp");
            Files.write(tmp, lines, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw CliError.failed("cannot write " + file + ": " + e.getMessage());
        }
    }
}
