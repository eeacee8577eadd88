package lib.image;

//SOURCES ../config/Artifacts.java ../cli/CliError.java ../config/Config.java ../cli/Console.java ModelSet.java ../config/Names.java ../model/TorchNative.java

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import lib.cli.CliError;
import lib.cli.Console;
import lib.config.Artifacts;
import lib.config.Config;
import lib.config.Names;
import lib.model.TorchNative;

/**
 * pack: assembles what a model image holds, in build/<model_image_name>-<tag>/: the server as a
 * runnable jar, the traced model folder (model/) and the effective configuration. The local
 * runtime serves from this folder; container images are built from it.
 */
public final class Pack {
    public static final String SERVER_JAR = "model-server.jar";
    public static final String MODEL_DIR = "model";
    /** Where extra_models go, one folder per name. */
    public static final String MODELS_DIR = "models";
    public static final String METADATA = "metadata.json";

    private Pack() {
    }

    /** Builds the folder anew (atomically: a failed pack leaves the previous one in place). */
    public static Path assemble(Config config) {
        Names names = new Names(config);
        Path traced = names.traceDir();
        if (!Files.isRegularFile(traced.resolve(METADATA)) || !Files.isRegularFile(traced.resolve(names.tracedModelFile()))) {
            throw CliError.badInput("no traced model " + names.tracedModelFile() + " in " + traced + ": run ./trace.java first");
        }
        List<ModelSet.Extra> extras = ModelSet.extras(config);
        for (ModelSet.Extra extra : extras) {
            Names extraNames = new Names(ModelSet.configOf(config, extra));
            if (!Files.isRegularFile(extraNames.traceDir().resolve(METADATA))
                    || !Files.isRegularFile(extraNames.traceDir().resolve(extraNames.tracedModelFile()))) {
                throw CliError.badInput("no traced model " + extraNames.tracedModelFile() + " (extra_models: " + extra.name() + ") in "
                        + extraNames.traceDir() + ": run ./trace.java first");
            }
        }
        Path jar = Artifacts.serverJar(config);
        Path dir = names.packDir();
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
        try {
            delete(tmp);
            Files.createDirectories(tmp.resolve(MODEL_DIR));
            Files.copy(jar, tmp.resolve(SERVER_JAR));
            withNativeOf(TorchNative.of(config.processor()), tmp.resolve(SERVER_JAR));
            copyFiles(traced, tmp.resolve(MODEL_DIR));
            // always there (maybe empty): the model image copies it
            Files.createDirectories(tmp.resolve(MODELS_DIR));
            for (ModelSet.Extra extra : extras) {
                copyFiles(new Names(ModelSet.configOf(config, extra)).traceDir(), tmp.resolve(MODELS_DIR).resolve(extra.name()));
            }
            Files.writeString(tmp.resolve("config.properties"), effectiveConfig(config));
            delete(dir);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw CliError.failed("cannot assemble " + dir + ": " + e.getMessage());
        }
        return dir;
    }

    /**
     * Gives a server jar the PyTorch native library of the processor's architecture: the one it
     * was exported with (this machine's) is replaced by the processor's pytorch-native-cpu, or
     * removed for gpu, whose base image holds the CUDA libtorch. A jar that already matches is kept.
     */
    public static void withNativeOf(TorchNative target, Path serverJar) throws IOException {
        try (FileSystem jar = FileSystems.newFileSystem(serverJar)) {
            Path properties = jar.getPath(TorchNative.PROPERTIES);
            if (Files.isRegularFile(properties)) {
                Optional<String[]> declared;
                try (InputStream in = Files.newInputStream(properties)) {
                    declared = TorchNative.declared(in);
                }
                if (declared.isPresent() && target.matches(declared.get())) {
                    return;
                }
                // a native jar keeps its libraries in pytorch/<flavor>/<classifier>/
                if (declared.isPresent()) {
                    delete(jar.getPath(TorchNative.libraryFolder(declared.get())));
                }
                Files.delete(properties);
            }
            Optional<Path> nativeJar = target.nativeJar();
            if (nativeJar.isEmpty()) {
                Console.info("server jar: no PyTorch native library (processor=%s uses the base image's %s libtorch)",
                        target.processor(), target.flavor());
                return;
            }
            Console.info("server jar: PyTorch native library %s", target.nativeArtifact().orElseThrow());
            try (FileSystem from = FileSystems.newFileSystem(nativeJar.get())) {
                String folder = TorchNative.libraryFolder(new String[] {target.classifier(), target.flavor()});
                for (String part : List.of(TorchNative.PROPERTIES, folder)) {
                    try (Stream<Path> files = Files.walk(from.getPath(part))) {
                        for (Path p : files.toList()) {
                            Path to = jar.getPath(p.toString());
                            if (Files.isDirectory(p)) {
                                Files.createDirectories(to);
                            } else {
                                Files.createDirectories(to.getParent());
                                Files.copy(p, to);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void copyFiles(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    /** True when a pack folder holds a server jar and a traced model. */
    public static boolean isPacked(Path dir) {
        return Files.isRegularFile(dir.resolve(SERVER_JAR)) && Files.isRegularFile(dir.resolve(MODEL_DIR).resolve(METADATA));
    }

    static String effectiveConfig(Config config) {
        StringBuilder sb = new StringBuilder("# Effective configuration this image was packed with\n");
        for (Config.Entry e : config.entries()) {
            sb.append(e.key()).append('=').append(e.value()).append('\n');
        }
        return sb.toString();
    }

    public static void delete(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
