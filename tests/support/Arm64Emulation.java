package support;

import java.nio.file.Files;
import java.nio.file.Path;
import support.DockerEngine.Out;

/**
 * arm64 containers on this x86 machine: qemu-user-static through binfmt_misc, and a local
 * linux/arm64 Java image made from an arm64 Debian trixie root file system with OpenJDK 21
 * (tests/support/arm64-java-rootfs.sh), made once and kept in {@link #CACHE} outside the repository
 * (about 7 minutes on 2 cores; later runs import the cached tar in seconds). Needs root and the
 * engine of {@link DockerEngine}; installs qemu-user-static, binfmt-support and debootstrap.
 */
public final class Arm64Emulation {
    /** The locally made arm64 image that stands in for base_image_from on graviton. */
    public static final String JAVA_IMAGE = "jdo-arm64-jre:trixie";
    public static final Path CACHE = Path.of(System.getenv().getOrDefault("JDO_ARM64_CACHE", "/var/cache/jdo-inference"));
    static final Path ROOTFS_TAR = CACHE.resolve("arm64-trixie-jre21.tar");
    static final Path BINFMT = Path.of("/proc/sys/fs/binfmt_misc");

    private static boolean ready;

    private Arm64Emulation() {
    }

    /** Engine, emulation and image; every step that fails says which and why. */
    public static synchronized void ensure() {
        if (ready) {
            return;
        }
        DockerEngine.ensure();
        if (!DockerEngine.run(10, "sh", "-c", "command -v qemu-aarch64-static && command -v update-binfmts && command -v debootstrap").ok()) {
            Out install = DockerEngine.run(900, "sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq"
                    + " qemu-user-static binfmt-support debootstrap");
            if (!install.ok()) {
                throw new AssertionError("cannot install qemu-user-static, binfmt-support and debootstrap:\n" + install.output());
            }
        }
        if (!Files.exists(BINFMT.resolve("register"))) {
            Out mount = DockerEngine.run(30, "mount", "-t", "binfmt_misc", "binfmt_misc", BINFMT.toString());
            if (!mount.ok()) {
                throw new AssertionError("cannot mount binfmt_misc: " + mount.output());
            }
        }
        Out enable = DockerEngine.run(60, "update-binfmts", "--enable", "qemu-aarch64");
        String entry = DockerEngine.run(10, "cat", BINFMT.resolve("qemu-aarch64").toString()).output();
        // F: the interpreter is opened once, so it works inside containers that do not have it
        if (!entry.startsWith("enabled") || !entry.matches("(?s).*flags: \\w*F.*")) {
            throw new AssertionError("qemu-aarch64 is not registered with binfmt_misc (flag F needed):\n" + enable.output() + entry);
        }
        if (!DockerEngine.docker("image", "inspect", "--format", "{{.Architecture}}", JAVA_IMAGE).output().strip().equals("arm64")) {
            makeJavaImage();
        }
        Out arch = DockerEngine.docker("run", "--rm", "--platform", "linux/arm64", JAVA_IMAGE, "uname", "-m");
        if (!arch.output().strip().equals("aarch64")) {
            throw new AssertionError(JAVA_IMAGE + " does not run as aarch64: " + arch.output());
        }
        ready = true;
    }

    private static void makeJavaImage() {
        if (!Files.isRegularFile(ROOTFS_TAR)) {
            System.out.println("Making the arm64 Java root file system " + ROOTFS_TAR + " (once; about 7 minutes) ...");
            Path script = Scripts.ROOT.resolve("tests/support/arm64-java-rootfs.sh");
            Out make = DockerEngine.run(1800, "sh", script.toString(), ROOTFS_TAR.toString());
            if (!make.ok() || !Files.isRegularFile(ROOTFS_TAR)) {
                String out = make.output();
                throw new AssertionError("making the arm64 root file system failed:\n" + out.substring(Math.max(0, out.length() - 4000)));
            }
        }
        // `docker import --platform` is ignored by Debian's engine (20.10): the image would say amd64
        // and the engine would try to pull an arm64 one. FROM scratch with --platform records arm64.
        Path context = null;
        try {
            context = Files.createTempDirectory("jdo-arm64-image");
            Path tar = context.resolve("rootfs.tar");
            try {
                Files.createLink(tar, ROOTFS_TAR);
            } catch (java.io.IOException | UnsupportedOperationException e) {
                Files.copy(ROOTFS_TAR, tar);
            }
            Files.writeString(context.resolve("Dockerfile"), "FROM scratch\nADD rootfs.tar /\n"
                    + "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nCMD [\"bash\"]\n");
            Out build = DockerEngine.run(900, "env", "DOCKER_BUILDKIT=0", "docker", "build", "--platform", "linux/arm64",
                    "-t", JAVA_IMAGE, context.toString());
            if (!build.ok()) {
                throw new AssertionError("making " + JAVA_IMAGE + " from " + ROOTFS_TAR + " failed: " + build.output());
            }
        } catch (java.io.IOException e) {
            throw new AssertionError("cannot prepare the image context: " + e.getMessage());
        } finally {
            if (context != null) {
                DockerEngine.run(60, "rm", "-rf", context.toString());
            }
        }
    }
}
