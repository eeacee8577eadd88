package lib.runtime;

//SOURCES ../cli/CliError.java ../cli/Console.java ../cli/Shell.java

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import lib.cli.CliError;
import lib.cli.Console;
import lib.cli.Shell;

/**
 * A background JVM process of the local runtime (a server or a test client) and its folder:
 * `pid`, `port` and `output.log` live there, so later commands can find, inspect and stop it.
 */
public final class LocalProcess {
    private final String name;
    private final Path dir;

    public LocalProcess(Path parent, String name) {
        this.name = name;
        this.dir = parent.resolve(name);
    }

    public String name() {
        return name;
    }

    public Path dir() {
        return dir;
    }

    public Path log() {
        return dir.resolve("output.log");
    }

    public boolean exists() {
        return Files.exists(dir.resolve("pid"));
    }

    /**
     * Starts `argv` in the background with its output in output.log, in a session of its own (so a
     * closed terminal does not take it down), and records its pid and the extra facts given.
     */
    public Process start(List<String> argv, Map<String, String> env, Map<String, String> facts) {
        try {
            clean();
            Files.createDirectories(dir);
            List<String> command = new ArrayList<>();
            if (Shell.onPath("setsid")) {
                command.add("setsid");
            }
            command.addAll(argv);
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectErrorStream(true).redirectOutput(log().toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().putAll(env);
            Files.writeString(dir.resolve("env"), envFile(env));
            for (Map.Entry<String, String> f : facts.entrySet()) {
                Files.writeString(dir.resolve(f.getKey()), f.getValue());
            }
            Process p = pb.start();
            Files.writeString(dir.resolve("pid"), Long.toString(p.pid()));
            return p;
        } catch (IOException e) {
            throw CliError.failed("cannot start " + name + ": " + e.getMessage());
        }
    }

    private static String envFile(Map<String, String> env) {
        StringBuilder sb = new StringBuilder();
        env.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return sb.toString();
    }

    /** The environment the process was started with. */
    public Map<String, String> env() {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        fact("env").ifPresent(text -> text.lines().filter(l -> l.contains("="))
                .forEach(l -> env.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1))));
        return env;
    }

    public Optional<String> fact(String key) {
        try {
            Path f = dir.resolve(key);
            return Files.exists(f) ? Optional.of(Files.readString(f).strip()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The live process, if the recorded pid still runs a java started for it (pids get reused). */
    public Optional<ProcessHandle> handle() {
        return fact("pid").flatMap(pid -> ProcessHandle.of(Long.parseLong(pid)))
                .filter(ProcessHandle::isAlive)
                .filter(h -> h.info().commandLine().map(c -> c.contains("java")).orElse(true));
    }

    public boolean alive() {
        return handle().isPresent();
    }

    public Optional<Duration> uptime() {
        return handle().flatMap(h -> h.info().startInstant()).map(s -> Duration.between(s, Instant.now()));
    }

    /** SIGTERM, then a kill after the grace period; true when something was running. */
    public boolean stop(Duration grace) {
        Optional<ProcessHandle> h = handle();
        if (h.isEmpty()) {
            return false;
        }
        h.get().destroy();
        try {
            h.get().onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            Console.warn("%s did not stop within %d s; killing it", name, grace.toSeconds());
            h.get().destroyForcibly();
        } catch (Exception e) {
            h.get().destroyForcibly();
        }
        return true;
    }

    /** Records how a process this command waited for ended, for status. */
    public void recordExit(int code) {
        try {
            Files.writeString(dir.resolve("exit"), Integer.toString(code));
        } catch (IOException e) {
            throw CliError.failed("cannot write " + dir.resolve("exit") + ": " + e.getMessage());
        }
    }

    /** Removes the folder (pid, facts, log). */
    public void clean() {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw CliError.failed("cannot remove " + dir + ": " + e.getMessage());
        }
    }

    public String output() {
        try {
            return Files.exists(log()) ? Files.readString(log(), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** The last lines of the output, for error messages. */
    public String tail(int lines) {
        List<String> all = output().lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** Reads output appended since `offset`; returns the new offset. */
    public long copyNewOutput(long offset, java.util.function.Consumer<String> line) {
        try (RandomAccessFile f = new RandomAccessFile(log().toFile(), "r")) {
            if (f.length() <= offset) {
                return offset;
            }
            f.seek(offset);
            byte[] bytes = new byte[(int) (f.length() - offset)];
            f.readFully(bytes);
            String text = new String(bytes, StandardCharsets.UTF_8);
            int end = text.lastIndexOf('\n') + 1;
            text.substring(0, end).lines().forEach(line);
            return offset + text.substring(0, end).getBytes(StandardCharsets.UTF_8).length;
        } catch (IOException e) {
            return offset;
        }
    }
}
