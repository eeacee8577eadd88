package support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Headless Chromium (Debian's `chromium`) for tests that look at a page: installed with apt-get
 * when the tests run as root and it is missing, otherwise the test is skipped with the reason.
 * Each load gets a fresh profile and no network features, and its console is read from the log.
 */
public final class Chromium {
    private Chromium() {
    }

    /**
     * What a page load left: the browser's exit code, the page's console messages and the whole log.
     * Chromium logs every console message (log, error, uncaught exception) at one level, so a page
     * without script should leave none.
     */
    public record Load(int exitCode, List<String> console, String log) {
    }

    /** The chromium binary, installing it when root and missing; skips the test when neither works. */
    public static Path binary() {
        Path found = find();
        if (found == null && "root".equals(System.getProperty("user.name"))) {
            quietly("apt-get", "update", "-qq");
            quietly("apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium");
            found = find();
        }
        Assumptions.assumeTrue(found != null, "chromium is not installed (apt-get install chromium, as root) and cannot be installed here");
        return found;
    }

    private static Path find() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "chromium");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    private static void quietly(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            p.getOutputStream().close();
            if (!p.waitFor(900, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            // find() says whether it worked
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Loads `page` in a window of width x height and writes a screenshot of it to `png`. */
    public static Load screenshot(Path page, Path png, int width, int height, Path work) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(work, "chromium-profile");
        Path log = work.resolve("chromium-" + System.nanoTime() + ".log");
        List<String> argv = new ArrayList<>(List.of(binary().toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
                "--window-size=" + width + "," + height, "--screenshot=" + png.toAbsolutePath(), page.toAbsolutePath().toUri().toString()));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish loading " + page + " in 180 s; its log: " + log);
        }
        String text = Files.readString(log, StandardCharsets.UTF_8);
        List<String> console = text.lines().filter(l -> l.contains(":CONSOLE")).toList();
        return new Load(p.exitValue(), console, text);
    }
}
