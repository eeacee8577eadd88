package lib.cli;

//SOURCES CliError.java Console.java

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Runs external commands (docker, mvn, ...). With verbose=true each command is printed first, as
 * the original's scripts did, so users can copy and run it themselves.
 */
public final class Shell {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private final boolean verbose;

    public Shell(boolean verbose) {
        this.verbose = verbose;
    }

    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /** Runs a command with the terminal attached; returns its exit code. */
    public int run(List<String> argv) {
        return run(argv, Map.of(), null);
    }

    public int run(List<String> argv, Map<String, String> env, Path workDir) {
        echo(argv);
        ProcessBuilder pb = new ProcessBuilder(argv).inheritIO();
        pb.environment().putAll(env);
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        try {
            return pb.start().waitFor();
        } catch (IOException e) {
            throw notFound(argv, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliError.failed("interrupted: " + quote(argv));
        }
    }

    /** Runs a command, feeding it stdin (e.g. a password) and capturing stdout and stderr together. */
    public Result capture(List<String> argv, String stdin) {
        echo(argv);
        return captureQuietly(argv, stdin);
    }

    public Result capture(List<String> argv) {
        return capture(argv, null);
    }

    /** Like {@link #capture} but never echoed: for look-ups that are not steps of their own. */
    public Result captureQuietly(List<String> argv, String stdin) {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        try {
            Process p = pb.start();
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            String output;
            try (InputStream out = p.getInputStream()) {
                output = new String(out.readAllBytes(), StandardCharsets.UTF_8);
            }
            return new Result(p.waitFor(), output);
        } catch (IOException e) {
            throw notFound(argv, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliError.failed("interrupted: " + quote(argv));
        }
    }

    /** Prints the command when verbose. */
    public void echo(List<String> argv) {
        if (verbose) {
            Console.command(argv);
        }
    }

    /** True when an executable of that name is on PATH. */
    public static boolean onPath(String tool) {
        if (tool.contains("/")) {
            return Files.isExecutable(Path.of(tool));
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    private static CliError notFound(List<String> argv, IOException e) {
        return CliError.failed("cannot run '" + argv.get(0) + "': " + (onPath(argv.get(0)) ? e.getMessage() : "not installed (not on PATH)"));
    }

    /** The command as a shell would need it typed: arguments quoted only where needed. */
    public static String quote(List<String> argv) {
        StringBuilder sb = new StringBuilder();
        for (String a : argv) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(SAFE.matcher(a).matches() ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }
}
