package server;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * MODEL_MEMORY_BUDGET: how many bytes of model weights the server keeps loaded at once. Empty or
 * 0 means no budget (every model loads at start, as with one model). A size (lib.ByteSize) is
 * taken as is; a share ("60%") is of the container's memory limit (cgroup),
 * or of the machine's memory outside a container.
 */
final class MemoryBudget {
    private static final Pattern SHARE = Pattern.compile("(\\d{1,3}(?:\\.\\d+)?)\\s*%");
    private static final Path CGROUP_V2 = Path.of("/sys/fs/cgroup/memory.max");
    private static final Path CGROUP_V1 = Path.of("/sys/fs/cgroup/memory/memory.limit_in_bytes");

    private MemoryBudget() {
    }

    static long parse(String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        String v = value.strip().toLowerCase(Locale.ROOT);
        Matcher share = SHARE.matcher(v);
        if (share.matches()) {
            double percent = Double.parseDouble(share.group(1));
            if (percent <= 0 || percent > 100) {
                throw new ServerSettings.BadSetting("MODEL_MEMORY_BUDGET=" + value + ": a share must be above 0% and at most 100%");
            }
            return (long) (memoryLimit() * percent / 100);
        }
        long size = lib.ByteSize.parse(v);
        if (size < 0) {
            throw new ServerSettings.BadSetting("MODEL_MEMORY_BUDGET=" + value
                    + " must be a size (bytes, or with Ki/Mi/Gi: 1536Mi) or a share of the memory limit (60%)");
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
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
