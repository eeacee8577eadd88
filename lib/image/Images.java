package lib.image;

//SOURCES ../config/Artifacts.java ../aws/Aws.java ../cli/CliError.java ../config/Config.java ../cli/Console.java ../config/Names.java Pack.java ../cli/Shell.java ../model/TorchNative.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lib.aws.Aws;
import lib.cli.CliError;
import lib.cli.Console;
import lib.cli.Shell;
import lib.config.Artifacts;
import lib.config.Config;
import lib.config.Names;
import lib.model.TorchNative;

/**
 * The three images (base, model, test) built, pushed and pulled through the configured container
 * CLI (docker or podman), from Containerfiles/. The classic builder is used (DOCKER_BUILDKIT=0), so
 * a CLI without buildx works. Base: context models/ (tracer.py); model: the pack folder; test: a
 * folder holding load-client.jar.
 */
public final class Images {
    /** Environment every image command runs with. */
    public static final Map<String, String> ENV = Map.of("DOCKER_BUILDKIT", "0");
    /** Build arguments taken from the environment when set (Neuron repositories, CUDA image, tracer). */
    static final List<String> PASSED_BUILD_ARGS = List.of("CUDA_FROM", "OS_FROM", "WITH_TRACER", "TORCH_INDEX",
            "NEURON_APT_REPO", "NEURON_APT_KEY", "NEURON_PIP_INDEX");

    public enum Kind {
        BASE("base image", "./build.java"), MODEL("model image", "./pack.java"), TEST("test image", "./test.java build");

        public final String what;
        final String buildWith;

        Kind(String what, String buildWith) {
            this.what = what;
            this.buildWith = buildWith;
        }
    }

    private final Config config;
    private final Names names;
    private final Shell shell;
    private final String cli;

    public Images(Config config) {
        this(config, config.get("container_cli"));
    }

    /** With another CLI (a path): the tests' stand-in that records what it is asked. */
    public Images(Config config, String cli) {
        this.config = config;
        this.names = new Names(config);
        this.shell = new Shell(config.verbose());
        this.cli = cli;
    }

    public String tag(Kind kind) {
        return switch (kind) {
            case BASE -> names.baseImage();
            case MODEL -> names.modelImage();
            case TEST -> names.testImage();
        };
    }

    /** Fails clearly when the CLI is missing or its daemon does not answer. */
    public void checkEngine() {
        if (!Shell.onPath(cli)) {
            throw CliError.failed("container_cli=" + cli + " is not installed (not on PATH); install it, or use runtime=local");
        }
        Shell.Result info = shell.captureQuietly(List.of(cli, "info", "--format", "{{.ServerVersion}}"), null);
        if (!info.ok()) {
            String why = info.output().strip().lines().reduce((a, b) -> b).orElse("no answer");
            throw CliError.failed("the " + cli + " daemon is not running or not reachable (" + why + "); start it (e.g. sudo systemctl start docker)");
        }
    }

    public boolean exists(String image) {
        return shell.captureQuietly(List.of(cli, "image", "inspect", "--format", "{{.Id}}", image), null).ok();
    }

    /** Fails with the step that builds it when the image is not on this machine. */
    public void requireLocal(Kind kind) {
        String image = tag(kind);
        if (!exists(image)) {
            throw CliError.failed("image " + image + " not found: run " + kind.buildWith + " first");
        }
    }

    /** The build command for an image: pure, so tests can check it. */
    public List<String> buildCommand(Kind kind, Path context, Map<String, String> environment) {
        Path files = Artifacts.sourceRoot().resolve("Containerfiles");
        String processor = config.processor();
        List<String> argv = new ArrayList<>(List.of(cli, "build"));
        String platform = TorchNative.of(processor).platform();
        if (!platform.equals("linux/amd64")) {
            // images for another architecture (graviton: arm64) are built as such, run through binfmt on x86
            argv.addAll(List.of("--platform", platform));
        }
        switch (kind) {
            case BASE -> {
                argv.addAll(List.of("-f", files.resolve("base-" + processor).toString()));
                argv.addAll(List.of("--build-arg", "BASE_FROM=" + config.get("base_image_from")));
                for (String name : PASSED_BUILD_ARGS) {
                    String value = environment.get(name);
                    if (value != null && !value.isBlank()) {
                        argv.addAll(List.of("--build-arg", name + "=" + value));
                    }
                }
            }
            case MODEL -> argv.addAll(List.of("-f", files.resolve("model-server").toString(),
                    "--build-arg", "BASE_IMAGE=" + tag(Kind.BASE),
                    "--build-arg", "MODEL_NAME=" + names.modelName(), "--build-arg", "PROCESSOR=" + processor));
            case TEST -> argv.addAll(List.of("-f", files.resolve("test-client").toString(),
                    "--build-arg", "BASE_IMAGE=" + tag(Kind.BASE)));
        }
        argv.addAll(List.of("--label", Names.MANAGED_BY_LABEL + "=" + Names.MANAGED_BY, "-t", tag(kind), context.toString()));
        return argv;
    }

    /** Builds an image; the model image from the pack folder, which must be assembled first. */
    public void build(Kind kind) {
        checkEngine();
        Path context = switch (kind) {
            case BASE -> Artifacts.sourceRoot().resolve("models");
            case MODEL -> {
                Path pack = names.packDir();
                if (!Pack.isPacked(pack)) {
                    throw CliError.badInput("nothing packed in " + pack + ": run ./trace.java and ./pack.java first");
                }
                yield pack;
            }
            case TEST -> testContext();
        };
        if (kind != Kind.BASE) {
            requireLocal(Kind.BASE);
        }
        Console.step("Building the %s %s ...", kind.what, tag(kind));
        int rc = shell.run(buildCommand(kind, context, System.getenv()), ENV, null);
        if (rc != 0) {
            throw CliError.failed("building " + tag(kind) + " failed (exit code " + rc + ")");
        }
        Console.step("Built %s", tag(kind));
    }

    /** build/test-image/ holding only the client jar, so the build context stays small. */
    private Path testContext() {
        Path jar = Artifacts.clientJar(config);
        Path dir = config.projectDir().resolve("build").resolve("test-image");
        try {
            Files.createDirectories(dir);
            Files.copy(jar, dir.resolve("load-client.jar"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw CliError.failed("cannot prepare " + dir + ": " + e.getMessage());
        }
        return dir;
    }

    /** Pushes an image; for ECR the repository is created when missing and the CLI logged in first. */
    public void push(Kind kind) {
        String image = tag(kind);
        if (config.get("registry").isBlank()) {
            Console.step("registry is empty: %s stays on this machine, so there is nothing to push.", image);
            return;
        }
        checkEngine();
        requireLocal(kind);
        if (config.get("registry_type").equals("ecr")) {
            Aws.ensureRepository(config, repository(kind));
            // ECR logins last 12 hours: a fresh one makes push work without a separate ./login.java
            Aws.login(config, shell, cli);
        }
        Console.step("Pushing %s ...", image);
        int rc = shell.run(List.of(cli, "push", image), ENV, null);
        if (rc != 0) {
            throw CliError.failed("pushing " + image + " failed (exit code " + rc + "); are you logged in? ./login.java");
        }
    }

    public void pull(Kind kind) {
        String image = tag(kind);
        checkEngine();
        if (config.get("registry").isBlank()) {
            if (exists(image)) {
                Console.step("registry is empty: %s is a local image and is already here.", image);
                return;
            }
            throw CliError.failed("registry is empty, so " + image + " cannot be pulled: build it with " + kind.buildWith);
        }
        if (config.get("registry_type").equals("ecr")) {
            Aws.login(config, shell, cli);
        }
        Console.step("Pulling %s ...", image);
        int rc = shell.run(List.of(cli, "pull", image), ENV, null);
        if (rc != 0) {
            throw CliError.failed("pulling " + image + " failed (exit code " + rc + "); are you logged in? ./login.java");
        }
    }

    /** The repository name of an image: its name without registry and tag. */
    String repository(Kind kind) {
        return switch (kind) {
            case BASE -> config.get("base_image_name");
            case MODEL -> config.get("model_image_name");
            case TEST -> config.get("test_image_name");
        };
    }
}
