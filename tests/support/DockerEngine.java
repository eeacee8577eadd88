package support;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real container engine for the docker tests: as root, installs docker.io and debootstrap when
 * missing, starts dockerd in the background (log in the temp folder) and makes, once, a local
 * Java base image from a debootstrapped Debian plus this JDK, since no registry is reachable.
 * Not root: the tests are skipped with the reason printed, unless CI=true, where they fail.
 */
public final class DockerEngine {
    /** The locally made image that stands in for base_image_from (eclipse-temurin:21-jre-jammy). */
    public static final String LOCAL_JAVA_IMAGE = "jdo-local-jre:bookworm";
    static final Path DOCKERD_LOG = Path.of(System.getProperty("java.io.tmpdir"), "jdo-dockerd.log");

    private static boolean ready;

    private DockerEngine() {
    }

    public record Out(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    public static Out run(long timeoutSeconds, String... argv) {
        try {
            Path out = Files.createTempFile("engine", ".out");
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", argv) + " did not finish in " + timeoutSeconds + " s");
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            Files.deleteIfExists(out);
            return new Out(p.exitValue(), text);
        } catch (IOException e) {
            return new Out(127, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public static Out docker(String... args) {
        List<String> argv = new ArrayList<>(List.of("docker"));
        argv.addAll(List.of(args));
        return run(600, argv.toArray(String[]::new));
    }

    private static boolean isRoot() {
        return run(10, "id", "-u").output().strip().equals("0");
    }

    private static boolean onPath(String tool) {
        return run(10, "sh", "-c", "command -v " + tool).ok();
    }

    /** Makes sure a daemon answers and the local Java image exists; skips (or fails on CI) without root. */
    public static synchronized void ensure() {
        if (ready) {
            return;
        }
        if (!isRoot()) {
            String reason = "the docker tests need root (to install docker.io and debootstrap and start dockerd)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new AssertionError(reason + ", and CI=true requires them to run");
            }
            System.out.println("SKIPPED: " + reason);
            Assumptions.abort(reason);
        }
        if (!onPath("dockerd") || !onPath("debootstrap") || !onPath("docker")) {
            Out update = run(300, "apt-get", "update", "-qq");
            Out install = run(600, "sh", "-c", "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap");
            if (!install.ok()) {
                throw new AssertionError("cannot install docker.io and debootstrap:\n" + update.output() + install.output());
            }
        }
        if (!docker("info", "--format", "{{.ServerVersion}}").ok()) {
            Out start = run(10, "sh", "-c", "nohup dockerd > " + DOCKERD_LOG + " 2>&1 &");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!docker("info", "--format", "{{.ServerVersion}}").ok()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("dockerd did not come up in 60 s (" + start.output() + "); its log " + DOCKERD_LOG + ":\n" + tail(DOCKERD_LOG));
                }
                sleep(500);
            }
        }
        if (!docker("image", "inspect", LOCAL_JAVA_IMAGE).ok()) {
            makeLocalJavaImage();
        }
        ready = true;
    }

    /** debootstrap --variant=minbase bookworm, this JDK at /opt/java/openjdk, imported as an image. */
    private static void makeLocalJavaImage() {
        Path root = Path.of(System.getProperty("java.io.tmpdir"), "jdo-rootfs-" + ProcessHandle.current().pid());
        String jdk = System.getProperty("java.home");
        try {
            Out boot = run(600, "debootstrap", "--variant=minbase", "bookworm", root.toString());
            if (!boot.ok()) {
                throw new AssertionError("debootstrap failed:\n" + boot.output());
            }
            Out copy = run(120, "sh", "-c", "mkdir -p " + root + "/opt/java && cp -a " + jdk + " " + root + "/opt/java/openjdk"
                    + " && ln -sf /opt/java/openjdk/bin/java " + root + "/usr/local/bin/java");
            if (!copy.ok()) {
                throw new AssertionError("cannot copy the JDK: " + copy.output());
            }
            Out imp = run(600, "sh", "-c", "tar -C " + root + " -c . | docker import"
                    + " -c 'ENV JAVA_HOME=/opt/java/openjdk'"
                    + " -c 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'"
                    + " - " + LOCAL_JAVA_IMAGE);
            if (!imp.ok()) {
                throw new AssertionError("docker import failed: " + imp.output());
            }
        } finally {
            run(300, "rm", "-rf", root.toString());
        }
    }

    /**
     * A private registry on a loopback port (Debian's docker-registry, installed when missing) with
     * its storage in a temp folder; the engine trusts 127.0.0.0/8 without TLS. Returns the prefix
     * to use as registry= (with the trailing /) and the running process.
     */
    public static Registry startRegistry(Path storage, int port) throws IOException {
        if (!onPath("docker-registry")) {
            Out install = run(600, "sh", "-c", "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry");
            if (!install.ok()) {
                throw new AssertionError("cannot install docker-registry:\n" + install.output());
            }
        }
        Path config = storage.resolve("registry.yml");
        Files.createDirectories(storage.resolve("data"));
        Files.writeString(config, "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: "
                + storage.resolve("data") + "\nhttp:\n  addr: 127.0.0.1:" + port + "\n");
        Process process = new ProcessBuilder("docker-registry", "serve", config.toString()).redirectErrorStream(true)
                .redirectOutput(storage.resolve("registry.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!listening(port)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new AssertionError("docker-registry did not listen on " + port + ":\n" + tail(storage.resolve("registry.log")));
            }
            sleep(200);
        }
        return new Registry("127.0.0.1:" + port + "/", process);
    }

    private static boolean listening(int port) {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public record Registry(String prefix, Process process) implements AutoCloseable {
        @Override
        public void close() {
            process.destroy();
        }
    }

    /** Names of containers (all states) and networks that carry the project's label and app. */
    public static List<String> ours(String what, String app) {
        List<String> args = new ArrayList<>(what.equals("network") ? List.of("network", "ls") : List.of("ps", "-a"));
        args.addAll(List.of("--filter", "label=app.kubernetes.io/managed-by=jdo-inference",
                "--filter", "label=app.kubernetes.io/part-of=" + app, "--format", "{{.Name" + (what.equals("network") ? "" : "s") + "}}"));
        Out out = docker(args.toArray(String[]::new));
        if (!out.ok()) {
            throw new AssertionError(out.output());
        }
        return out.output().lines().filter(l -> !l.isBlank()).toList();
    }

    /** Removes whatever a failed run left behind. */
    public static void removeOurs(String app) {
        for (String c : ours("container", app)) {
            docker("rm", "-f", c);
        }
        for (String n : ours("network", app)) {
            docker("network", "rm", n);
        }
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
