package lib.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import lib.cli.CliError;
import lib.image.Pack;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which PyTorch native pieces each processor gets, checked against the real DJL jars. */
class TorchNativeTest {
    @TempDir
    Path dir;

    @Test
    void eachProcessorHasItsArchitectureFlavourAndNativeLibrary() {
        record Row(String processor, String classifier, String flavor, String platform, String artifact) {
        }
        for (Row row : List.of(
                new Row("cpu", "linux-x86_64", "cpu", "linux/amd64", "ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64"),
                new Row("graviton", "linux-aarch64", "cpu", "linux/arm64", "ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-aarch64"),
                new Row("gpu", "linux-x86_64", "cu128", "linux/amd64", null),
                new Row("inf1", "linux-x86_64", "cpu", "linux/amd64", "ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64"),
                new Row("inf2", "linux-x86_64", "cpu", "linux/amd64", "ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64"))) {
            TorchNative n = TorchNative.of(row.processor());
            assertEquals(row.classifier(), n.classifier(), row.processor());
            assertEquals(row.flavor(), n.flavor(), row.processor());
            assertEquals(row.platform(), n.platform(), row.processor());
            assertEquals(row.artifact(), n.nativeArtifact().orElse(null), row.processor());
        }
        CliError bad = org.junit.jupiter.api.Assertions.assertThrows(CliError.class, () -> TorchNative.of("tpu"));
        assertEquals(2, bad.exitCode());
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu", "graviton", "inf1", "inf2"})
    void theJniLibraryDjlLoadsForEachProcessorIsInPytorchJni(String processor) {
        String entry = TorchNative.of(processor).jniEntry();
        assertNotNull(getClass().getClassLoader().getResource(entry), entry + " is not in ai.djl.pytorch:pytorch-jni:2.7.1-0.36.0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "graviton"})
    void theNativeJarOfEachCpuArchitectureIsFoundAndDeclaresIt(String processor) throws IOException {
        TorchNative n = TorchNative.of(processor);
        Path jar = n.nativeJar().orElseThrow();
        assertTrue(jar.getFileName().toString().endsWith(n.classifier() + ".jar"), jar.toString());
        try (FileSystem fs = FileSystems.newFileSystem(jar); InputStream in = Files.newInputStream(fs.getPath(TorchNative.PROPERTIES))) {
            String[] declared = TorchNative.declared(in).orElseThrow();
            assertEquals(List.of(n.classifier(), "cpu"), List.of(declared));
        }
        assertTrue(TorchNative.of("gpu").nativeJar().isEmpty());
    }

    /** A server jar as `jbang export fatjar` makes it on an x86 machine: classes plus the x86 native. */
    Path fatJar() throws IOException {
        Path jar = dir.resolve("model-server.jar");
        try (FileSystem fs = FileSystems.newFileSystem(jar, Map.of("create", "true"))) {
            Files.createDirectories(fs.getPath("server"));
            Files.writeString(fs.getPath("server/ModelServer.class"), "classes");
            Files.createDirectories(fs.getPath("native/lib"));
            Files.createDirectories(fs.getPath("pytorch/cpu/linux-x86_64"));
            Files.writeString(fs.getPath(TorchNative.PROPERTIES), "version=2.7.1\nclassifier=linux-x86_64\nflavor=cpu\n");
            Files.writeString(fs.getPath("pytorch/cpu/linux-x86_64/libtorch_cpu.so"), "x86 library");
        }
        return jar;
    }

    static List<String> entries(Path jar) throws IOException {
        try (FileSystem fs = FileSystems.newFileSystem(jar); Stream<Path> all = Files.walk(fs.getPath("/"))) {
            return all.filter(Files::isRegularFile).map(Path::toString).sorted().toList();
        }
    }

    @Test
    void packGivesAGravitonServerJarTheAarch64NativeAndNothingOfX86() throws IOException {
        Path jar = fatJar();
        Pack.withNativeOf(TorchNative.of("graviton"), jar);
        List<String> entries = entries(jar);
        assertTrue(entries.contains("/server/ModelServer.class"), entries.toString());
        assertTrue(entries.contains("/pytorch/cpu/linux-aarch64/libtorch_cpu.so"), entries.toString());
        assertFalse(entries.stream().anyMatch(e -> e.contains("x86_64")), entries.toString());
        try (FileSystem fs = FileSystems.newFileSystem(jar); InputStream in = Files.newInputStream(fs.getPath(TorchNative.PROPERTIES))) {
            assertEquals(List.of("linux-aarch64", "cpu"), List.of(TorchNative.declared(in).orElseThrow()));
        }
    }

    @Test
    void packLeavesAGpuServerJarWithoutANativeAndACpuJarAsItWas() throws IOException {
        Path jar = fatJar();
        byte[] before = Files.readAllBytes(jar);
        Pack.withNativeOf(TorchNative.of("cpu"), jar);
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(jar)), "a matching jar is kept as it is");
        Pack.withNativeOf(TorchNative.of("gpu"), jar);
        assertEquals(List.of("/server/ModelServer.class"), entries(jar));
    }
}
