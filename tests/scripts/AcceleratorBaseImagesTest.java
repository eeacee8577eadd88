package scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.DockerEngine;
import support.Scripts;
import support.Scripts.Run;

/**
 * The gpu and Neuron base images as far as a machine without GPU, Neuron or their package indexes
 * can take them, on a real engine: ./build.java runs their Containerfiles FROM local images (the
 * CUDA and OS images replaced by the local Java image), the JRE is copied in, and a build without
 * the package index it needs stops at once with the message that names it.
 */
class AcceleratorBaseImagesTest {
    @TempDir
    static Path dir;
    static Path project;

    @BeforeAll
    static void engineAndProject() throws IOException {
        DockerEngine.ensure();
        project = Scripts.project(dir, Map.of("runtime", "docker", "registry", "", "base_image_from", DockerEngine.LOCAL_JAVA_IMAGE));
    }

    static Run build(String processor, Map<String, String> env) {
        return Scripts.run(project, env, 900, "build.java", "-Dprocessor=" + processor);
    }

    @Test
    void gpuBaseWithoutTheCu128WheelIndexStopsAndSaysWhichArgumentIsMissing() {
        Run run = build("gpu", Map.of("CUDA_FROM", DockerEngine.LOCAL_JAVA_IMAGE));
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.stdout().contains("--build-arg CUDA_FROM=" + DockerEngine.LOCAL_JAVA_IMAGE), run::toString);
        assertTrue(run.all().contains("set --build-arg TORCH_INDEX=<PyTorch's cu128 wheel index>"), run::toString);
        assertTrue(run.stderr().contains("building aws-do-inference-base:v15-gpu failed"), run::toString);
        assertFalse(DockerEngine.docker("image", "inspect", "aws-do-inference-base:v15-gpu").ok(), "no image is tagged");
    }

    @Test
    void neuronBasesWithoutTheNeuronRepositoriesStopAndSaySo() {
        for (String processor : new String[] {"inf1", "inf2"}) {
            Run run = build(processor, Map.of("OS_FROM", DockerEngine.LOCAL_JAVA_IMAGE));
            assertEquals(1, run.exitCode(), run::toString);
            assertTrue(run.all().contains("set --build-arg NEURON_APT_REPO, NEURON_APT_KEY and NEURON_PIP_INDEX"), run::toString);
        }
    }
}
