package support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the project's root scripts as real processes, the way users do (through the launcher on
 * their first line), against a configuration in a temporary folder so nothing lands in the repo.
 */
public final class Scripts {
    /** The repository root: Maven runs tests from there. */
    public static final Path ROOT = Path.of("").toAbsolutePath();

    private Scripts() {
    }

    public record Run(int exitCode, String stdout, String stderr) {
        public String all() {
            return stdout + stderr;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    /** A project folder with a copy of the shipped config.properties, overrides applied to the file. */
    public static Path project(Path dir, Map<String, String> settings) throws IOException {
        Files.createDirectories(dir);
        Path config = dir.resolve("config.properties");
        Files.copy(ROOT.resolve("config.properties"), config);
        settings.forEach((k, v) -> lib.config.Config.set(config, k, v));
        return dir;
    }

    public static Run run(Path project, String script, String... args) {
        return run(project, Map.of(), 600, script, args);
    }

    public static Run run(Path project, Map<String, String> env, long timeoutSeconds, String script, String... args) {
        List<String> argv = new ArrayList<>(List.of("sh", ROOT.resolve(script).toString()));
        argv.addAll(List.of(args));
        try {
            Path out = Files.createTempFile("script", ".out");
            Path err = Files.createTempFile("script", ".err");
            ProcessBuilder pb = new ProcessBuilder(argv).directory(project.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().put("JDO_CONFIG", project.resolve("config.properties").toString());
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError(script + " " + String.join(" ", args) + " did not finish in " + timeoutSeconds + " s");
            }
            Run run = new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            return run;
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
