package server;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * MODEL_MEMORY_BUDGET: how many bytes of model weights the server keeps loaded at once. Empty or
 * 0 means no budget (every model loads at start, as with one model). A size (lib.config.ByteSize) is
 * taken as is; a share ("60%") is of the container's memory limit (cgroup),
 * or of the machine's memory outside a container.
 */
final class MemoryBudget {
    private static final Path CGROUP_V2 = Path.of("/sys/fs/cgroup/memory.max");
    private static final Path CGROUP_V1 = Path.of("/sys/fs/cgroup/memory/memory.limit_in_bytes");

    private MemoryBudget() {
    }

    static long parse(String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        double share = lib.config.ByteSize.share(value);
        if (share > 0) {
            return (long) (memoryLimit() * share);
        }
        long size = lib.config.ByteSize.parse(value);
        if (size < 0) {
            throw new ServerSettings.BadSetting("MODEL_MEMORY_BUDGET=" + value
                    + " must be a size (bytes, or with Ki/Mi/Gi: 1536Mi) or a share of the memory limit above 0% and at most 100% (60%)");
        }
        return size;
    }

    /** The container's memory limit, or the machine's memory when there is none. */
    static long memoryLimit() {
        long machine = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        for (Path file : new Path[] {CGROUP_V2, CGROUP_V1}) {
            try {
                String text = Files.readString(file).strip();
                if (!text.equals("max")) {
                    long limit = Long.parseLong(text);
                    if (limit > 0 && limit < machine) {
                        return limit;
                    }
                }
            } catch (IOException | NumberFormatException | SecurityException e) {
                // no such cgroup file here: try the next, then the machine
            }
        }
        return machine;
    }

    static String mib(long bytes) {
        if (bytes < 1 << 20) {
            return bytes + " bytes";
        }
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
