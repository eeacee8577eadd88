package lib.config;

import java.util.List;
import java.util.Locale;

/**
 * One key of config.properties: its name, what it holds, the values it may take, its default and
 * whether it may be empty. {@link ConfigKeys} lists them all.
 */
public record ConfigKey(String name, Type type, String defaultValue, List<String> allowed,
                        boolean optional, String description) {

    public enum Type { TEXT, INT, COUNT, PORT, DECIMAL, BOOL, CHOICE }

    public static final List<String> BOOLEAN_VALUES = List.of("True", "False");

    /** Checks a resolved value; returns null when it is fine, otherwise why not, in one line. */
    public String problem(String value) {
        if (value.isEmpty()) {
            return optional ? null : name + " is empty; it needs a value" + hint();
        }
        return switch (type) {
            case TEXT -> null;
            case INT -> integer(value, 1, Integer.MAX_VALUE, "a whole number of at least 1");
            case COUNT -> integer(value, 0, Integer.MAX_VALUE, "a whole number of at least 0");
            case PORT -> integer(value, 1, 65535, "a port number from 1 to 65535");
            case DECIMAL -> {
                try {
                    yield Double.parseDouble(value) >= 0 ? null : name + "=" + value + " must not be negative";
                } catch (NumberFormatException e) {
                    yield name + "=" + value + " is not a number";
                }
            }
            case BOOL -> parseBool(value) == null ? name + "=" + value + " is not one of True, False" : null;
            case CHOICE -> allowed.contains(value) ? null
                    : name + "=" + value + " is not one of " + String.join(", ", allowed);
        };
    }

    private String integer(String value, long min, long max, String what) {
        try {
            long v = Long.parseLong(value.trim());
            if (v >= min && v <= max) {
                return null;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        return name + "=" + value + " must be " + what;
    }

    private String hint() {
        return allowed.isEmpty() ? "" : " (one of " + String.join(", ", allowed) + ")";
    }

    /** True/False as the original wrote them, and the usual spellings of both. */
    public static Boolean parseBool(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1", "on" -> Boolean.TRUE;
            case "false", "no", "0", "off" -> Boolean.FALSE;
            default -> null;
        };
    }

    static ConfigKey text(String name, String def, String description) {
        return new ConfigKey(name, Type.TEXT, def, List.of(), false, description);
    }

    static ConfigKey optionalText(String name, String def, String description) {
        return new ConfigKey(name, Type.TEXT, def, List.of(), true, description);
    }

    static ConfigKey integer(String name, String def, String description) {
        return new ConfigKey(name, Type.INT, def, List.of(), false, description);
    }

    static ConfigKey count(String name, String def, String description) {
        return new ConfigKey(name, Type.COUNT, def, List.of(), false, description);
    }

    static ConfigKey port(String name, String def, String description) {
        return new ConfigKey(name, Type.PORT, def, List.of(), false, description);
    }

    static ConfigKey decimal(String name, String def, String description) {
        return new ConfigKey(name, Type.DECIMAL, def, List.of(), false, description);
    }

    static ConfigKey bool(String name, String def, String description) {
        return new ConfigKey(name, Type.BOOL, def, BOOLEAN_VALUES, false, description);
    }

    static ConfigKey choice(String name, String def, List<String> allowed, String description) {
        return new ConfigKey(name, Type.CHOICE, def, allowed, false, description);
    }
}
