package lib.cli;

//SOURCES Shell.java

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The one place that writes to the terminal, so every command looks the same: what it is doing,
 * the commands it runs when verbose, warnings, errors, progress and tables.
 */
public final class Console {
    private static PrintStream out = System.out;
    private static PrintStream err = System.err;

    private Console() {
    }

    /** One line as it is (a tool's own output, passed through). */
    public static void line(String text) {
        out.println(text);
        out.flush();
    }

    /** The stream lines go to, for libraries that print to a PrintStream themselves (help, reports, a remote shell). */
    public static PrintStream stdout() {
        return out;
    }

    /** The stream warnings and errors go to, for libraries that write errors to a stream themselves (a remote shell). */
    public static PrintStream stderr() {
        return err;
    }

    /** A block of text as it is, for output that is itself a document (a template, a manifest). */
    public static void text(String text) {
        out.print(text);
        out.flush();
    }

    /** A stack trace, when the user asked for one (JDO_DEBUG). */
    public static void stackTrace(Throwable e) {
        e.printStackTrace(err);
        err.flush();
    }

    /** What the command is doing now. */
    public static void step(String format, Object... args) {
        out.println(String.format(format, args));
        out.flush();
    }

    public static void info(String format, Object... args) {
        out.println("   " + String.format(format, args));
        out.flush();
    }

    public static void warn(String format, Object... args) {
        err.println("[WARN] " + String.format(format, args));
        err.flush();
    }

    public static void error(String message) {
        err.println("error: " + message);
        err.flush();
    }

    /** One line of a log, prefixed with its source's name when several logs are shown together. */
    public static void logLine(String source, boolean prefix, String line) {
        out.println(prefix ? "[" + source + "] " + line : line);
        out.flush();
    }

    /**
     * Prints the lines of several logs as they come (one reader thread each), prefixed with the
     * source's name when there are several, until every stream ends; the caller closes them.
     */
    public static void interleave(Map<String, InputStream> logs, Predicate<String> show) {
        boolean prefix = logs.size() > 1;
        List<Thread> readers = new ArrayList<>();
        logs.forEach((source, stream) -> readers.add(Thread.ofPlatform().name("log-" + source).start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (show.test(line)) {
                        logLine(source, prefix, line);
                    }
                }
            } catch (IOException e) {
                // the source went away (a container removed, a watch closed): its log ends here
            }
        })));
        for (Thread t : readers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The equivalent command line, printed before it runs when verbose=true (like the original). */
    public static void command(List<String> argv) {
        out.println("+ " + Shell.quote(argv));
        out.flush();
    }

    /** A progress line that rewrites itself on a terminal and prints plainly in logs. */
    public static void progress(String format, Object... args) {
        String line = String.format(format, args);
        if (System.console() != null) {
            out.print("\r   " + line + "\u001b[K");
        } else {
            out.println("   " + line);
        }
        out.flush();
    }

    /** Ends a run of {@link #progress} lines. */
    public static void progressDone() {
        if (System.console() != null) {
            out.println();
        }
    }

    /** Prints rows as aligned columns; the first row is the header. */
    public static void table(List<List<String>> rows) {
        for (String line : formatTable(rows)) {
            out.println(line);
        }
        out.flush();
    }

    static List<String> formatTable(List<List<String>> rows) {
        int columns = rows.stream().mapToInt(List::size).max().orElse(0);
        int[] widths = new int[columns];
        for (List<String> row : rows) {
            for (int c = 0; c < row.size(); c++) {
                widths[c] = Math.max(widths[c], String.valueOf(row.get(c)).length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (List<String> row : rows) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < row.size(); c++) {
                String cell = String.valueOf(row.get(c));
                sb.append(c == row.size() - 1 ? cell : String.format("%-" + (widths[c] + 2) + "s", cell));
            }
            lines.add(sb.toString().stripTrailing());
        }
        return lines;
    }

    /** Redirects output, for tests. */
    public static void redirect(PrintStream stdout, PrintStream stderr) {
        out = stdout;
        err = stderr;
    }
}
