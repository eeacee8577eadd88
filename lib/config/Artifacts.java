package lib.config;

//SOURCES ../cli/CliError.java Config.java ../cli/Console.java ../cli/Shell.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import lib.cli.CliError;
import lib.cli.Console;
import lib.cli.Shell;

/**
 * The runnable jars of the model server and the load client, exported from their JBang sources
 * with `jbang export fatjar` and kept under build/jars until a source changes.
 */
public final class Artifacts {
    public static final String SERVER_SOURCE = "server/ModelServer.java";
    public static final String CLIENT_SOURCE = "client/LoadClient.java";

    private Artifacts() {
    }

    /** The repository: where the scripts, lib/, server/ and client/ are (the launcher exports JDO_HOME). */
    public static Path sourceRoot() {
        String home = System.getenv("JDO_HOME");
        return home != null && !home.isBlank() ? Path.of(home).toAbsolutePath() : Path.of("").toAbsolutePath();
    }

    public static Path serverJar(Config config) {
        return export(config, SERVER_SOURCE, "model-server.jar");
    }

    public static Path clientJar(Config config) {
        return export(config, CLIENT_SOURCE, "load-client.jar");
    }

    private static Path export(Config config, String source, String jarName) {
        Path root = sourceRoot();
        Path jar = config.projectDir().resolve("build").resolve("jars").resolve(jarName);
        if (upToDate(jar, root)) {
            return jar;
        }
        Console.step("Exporting %s as %s ...", source, jar);
        try {
            Files.createDirectories(jar.getParent());
        } catch (IOException e) {
            throw CliError.failed("cannot create " + jar.getParent() + ": " + e.getMessage());
        }
        int rc = new Shell(config.verbose()).run(List.of(root.resolve("jbang").toString(), "export", "fatjar", "--force",
                "-O", jar.toString(), root.resolve(source).toString()));
        if (rc != 0 || !Files.isRegularFile(jar)) {
            throw CliError.failed("could not export " + source + " (exit code " + rc + ")");
        }
        return jar;
    }

    /** A jar is current when it is newer than every source it is built from. */
    private static boolean upToDate(Path jar, Path root) {
        if (!Files.isRegularFile(jar)) {
            return false;
        }
        try (Stream<Path> sources = Stream.of("lib", "server", "client").map(root::resolve).filter(Files::isDirectory)
                .flatMap(Artifacts::list)) {
            FileTime built = Files.getLastModifiedTime(jar);
            return sources.noneMatch(s -> modified(s).compareTo(built) > 0);
        } catch (IOException e) {
            return false;
        }
    }

    private static Stream<Path> list(Path dir) {
        try {
            return Files.walk(dir).toList().stream();
        } catch (IOException e) {
            return Stream.empty();
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(Long.MAX_VALUE);
        }
    }
}
