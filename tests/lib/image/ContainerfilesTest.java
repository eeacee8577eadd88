package lib.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lib.model.TorchNative;
import lib.runtime.ServerEnv;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the base images hold, read from Containerfiles/ (the gpu and Neuron images cannot be built
 * on a machine without that hardware and their registries): each agrees with {@link TorchNative}.
 */
class ContainerfilesTest {
    @TempDir
    Path dir;

    static String file(String name) throws IOException {
        return Files.readString(Path.of("Containerfiles", name));
    }

    /** The default of an ARG or the value of an ENV, as the file states it. */
    static String value(String text, String kind, String name) {
        Matcher m = Pattern.compile("(?m)^" + kind + " (?:.* )?" + Pattern.quote(name) + "=(\\S*)").matcher(text);
        assertTrue(m.find(), kind + " " + name + " in\n" + text);
        return m.group(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu", "graviton"})
    void torchIsPinnedToTheReleaseOfDjlsEngineAndTransformersToo(String processor) throws IOException {
        String text = file("base-" + processor);
        assertEquals(TorchNative.PYTORCH_VERSION, value(text, "ARG", "TORCH_VERSION"));
        assertTrue(value(text, "ARG", "TRANSFORMERS_VERSION").matches("[45]\\.\\d+\\.\\d+"), text);
        assertTrue(text.contains("\"torch==${TORCH_VERSION}") && text.contains("\"transformers==${TRANSFORMERS_VERSION}\""), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu", "graviton", "inf1", "inf2"})
    void noBaseImageInstallsAnUnpinnedTorchOrTransformers(String processor) throws IOException {
        for (String line : file("base-" + processor).lines().filter(l -> l.contains("pip3 install")).toList()) {
            assertFalse(line.matches(".*\\s(torch|transformers|torch-neuron|torch-neuronx)(\\s.*|$)"), line);
        }
    }

    @Test
    void gpuImageIsCuda128WithTheCu128LibtorchDjlsJniNeeds() throws IOException {
        String gpu = file("base-gpu");
        TorchNative n = TorchNative.of("gpu");
        assertTrue(value(gpu, "ARG", "CUDA_FROM").matches("nvidia/cuda:12\\.8\\.\\d+-cudnn-runtime-ubuntu\\d+\\.\\d+"), gpu);
        assertEquals(n.flavor(), value(gpu, "ENV", "PYTORCH_FLAVOR"));
        assertEquals("${TORCH_VERSION}", value(gpu, "ENV", "PYTORCH_VERSION"));
        assertEquals("/opt/libtorch", value(gpu, "ENV", "PYTORCH_LIBRARY_PATH"));
        // the CUDA libtorch is in the image at build time: the torch wheel of that flavour, linked where DJL looks
        assertTrue(gpu.contains("\"torch==${TORCH_VERSION}+" + n.flavor() + "\""), gpu);
        assertTrue(gpu.contains("/opt/libtorch") && gpu.contains("test -f /opt/libtorch/libtorch_cuda.so"), gpu);
        assertTrue(gpu.contains("test -n \"$TORCH_INDEX\""), "a build without the wheel index stops with a message");
    }

    @Test
    void gravitonImageIsArm64AndCpuImagesHaveNoPlatformOfTheirOwn() throws IOException {
        assertTrue(file("base-graviton").contains("FROM --platform=" + TorchNative.of("graviton").platform() + " ${BASE_FROM}"));
        assertTrue(file("base-graviton").contains("test \"$(uname -m)\" = aarch64"));
        assertFalse(file("base-cpu").contains("--platform"));
        assertTrue(file("model-server").contains("-Dai.djl.offline=true"), "servers start offline on every processor");
    }

    @ParameterizedTest
    @ValueSource(strings = {"inf1", "inf2"})
    void neuronImagesHaveTheNeuronRepositoriesRuntimeAndLibraryWhereTheServerLooks(String processor) throws IOException {
        String text = file("base-" + processor);
        String neuronLibrary = support.ProjectConfig.load(dir, Map.of(), Map.of()).get("neuron_library_path");
        assertEquals(neuronLibrary, value(text, "ENV", "NEURON_LIBRARY_PATH"));
        assertTrue(text.contains("ln -s \"$(dirname \"$so\")\" " + neuronLibrary) && text.contains("test -f " + neuronLibrary + "/libtorchneuron.so"), text);
        assertTrue(text.contains("--extra-index-url \"$NEURON_PIP_INDEX\"") && text.contains("$NEURON_APT_REPO"), text);
        assertTrue(text.contains("aws-neuronx-tools"), text);
        List<String> expected = processor.equals("inf1")
                ? List.of("\"torch-neuron==${TORCH_NEURON_VERSION}\"", "neuron-cc[tensorflow]")
                : List.of("\"torch-neuronx==${TORCH_NEURONX_VERSION}\"", "\"torch==${TORCH_VERSION}\"", "neuronx-cc", "aws-neuronx-runtime-lib");
        for (String piece : expected) {
            assertTrue(text.contains(piece), piece + " in base-" + processor);
        }
        if (processor.equals("inf2")) {
            // torch-neuronx of the same torch release as DJL's engine, so the server can load its library
            assertEquals(TorchNative.PYTORCH_VERSION, value(text, "ARG", "TORCH_VERSION"));
            assertTrue(value(text, "ARG", "TORCH_NEURONX_VERSION").startsWith("2.7."));
        }
    }

    @Test
    void theServerImageCarriesTheServersThreadEnvironmentAndNoImageFixesThreadCounts() throws IOException {
        String server = file("model-server");
        ServerEnv.THREAD_ENV.forEach((k, v) -> assertEquals(v, value(server, "ENV", k), k + " as lib/runtime/ServerEnv.THREAD_ENV says"));
        // intra-op threads come from the server through DJL; a fixed count in any image would contradict it
        try (var files = Files.list(Path.of("Containerfiles"))) {
            for (Path f : files.toList()) {
                String text = Files.readString(f);
                for (String fixed : List.of("OMP_NUM_THREADS", "MKL_NUM_THREADS")) {
                    assertFalse(Pattern.compile("(?m)^ENV .*" + fixed + "=").matcher(text).find(), fixed + " in " + f);
                }
            }
        }
    }

    @Test
    void tracerUsesNoApiThatTransformers5Removed() throws IOException {
        String tracer = Files.readString(Path.of("models", "tracer.py"));
        assertFalse(tracer.contains("encode_plus") || tracer.contains("batch_encode_plus"), tracer);
        assertTrue(tracer.contains("tokenizer(QUESTION, CONTEXT, return_tensors=\"pt\""), tracer);
    }
}
