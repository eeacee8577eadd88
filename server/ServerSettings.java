package server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The server's settings, from its environment only (lib/Servers.env writes them), so the same
 * server runs unchanged as a process, a container or a pod. NUM_MODELS, POSTPROCESS and QUIET
 * are the original's; the rest are this project's.
 */
record ServerSettings(int numModels, boolean postprocess, boolean quiet, int port, String bindAddress,
                      Path modelDir, String processor, int predictorsPerModel, int drainSeconds,
                      String neuronLibraryPath) {

    /** A setting that cannot be used; main prints it as one line and exits with 2. */
    static final class BadSetting extends RuntimeException {
        BadSetting(String message) {
            super(message);
        }
    }

    static ServerSettings fromEnv(Map<String, String> env) {
        String dir = env.get("MODEL_DIR");
        if (dir == null || dir.isBlank()) {
            throw new BadSetting("MODEL_DIR is not set: it names the traced model folder (trace-<model>/)");
        }
        Path modelDir = Path.of(dir);
        if (!Files.isDirectory(modelDir)) {
            throw new BadSetting("MODEL_DIR=" + dir + " is not a folder");
        }
        return new ServerSettings(
                integer(env, "NUM_MODELS", 1, 1, 1024),
                bool(env, "POSTPROCESS", true),
                bool(env, "QUIET", false),
                integer(env, "PORT", 8080, 1, 65535),
                env.getOrDefault("BIND_ADDRESS", "0.0.0.0"),
                modelDir,
                env.getOrDefault("PROCESSOR", ""),
                integer(env, "PREDICTORS_PER_MODEL", 0, 0, 1024),
                integer(env, "DRAIN_SECONDS", 20, 0, 3600),
                env.getOrDefault("NEURON_LIBRARY_PATH", ""));
    }

    private static int integer(Map<String, String> env, String key, int fallback, int min, int max) {
        String value = env.get(key);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            int v = Integer.parseInt(value.trim());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BadSetting(key + "=" + value + " must be a whole number from " + min + " to " + max);
    }

    /** True/False as the original read them (it accepted true/1 and false/0 too). */
    private static boolean bool(Map<String, String> env, String key, boolean fallback) {
        String value = env.get(key);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new BadSetting(key + "=" + value + " must be True or False");
        };
    }

    /**
     * Predictors per model copy: as many as keep the cores busy when all copies are used at once.
     * Each forward then runs on few PyTorch threads, so N copies on one node share the cores
     * instead of each asking for all of them.
     */
    int predictors(int cores) {
        return predictorsPerModel > 0 ? predictorsPerModel : Math.max(1, cores / numModels);
    }

    /** PyTorch intra-op threads per forward: the cores divided among the forwards that may run at once. */
    int intraOpThreads(int cores) {
        return Math.max(1, cores / Math.max(1, Math.min(cores, predictors(cores) * numModels)));
    }
}
