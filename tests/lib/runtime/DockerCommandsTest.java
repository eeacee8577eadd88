package lib.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lib.cli.CliError;
import lib.cli.Shell;
import lib.config.Artifacts;
import lib.config.Config;
import lib.image.Images;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The docker command lines the docker runtime and the image steps run, without an engine. */
class DockerCommandsTest {
    @TempDir
    Path dir;

    Config config(Map<String, String> overrides) {
        return support.ProjectConfig.load(dir, Map.of("runtime", "docker", "registry", "", "num_servers", "2",
                "num_models", "2", "num_test_containers", "2"), overrides);
    }

    static String line(List<String> argv) {
        return Shell.quote(argv);
    }

    @Test
    void serverRunCarriesNameNetworkPortLabelsAndTheServersEnvironment() throws IOException {
        String cmd = line(new DockerCommands(config(Map.of())).serverRun(1, 8081));
        assertEquals("docker run -d --name tiny-bert-qa-cpu-1 --network tiny-bert-qa-cpu-net -p 8081:8080"
                + " --label app.kubernetes.io/component=server --label app.kubernetes.io/managed-by=jdo-inference"
                + " --label app.kubernetes.io/part-of=tiny-bert-qa-cpu"
                + " -e NUM_MODELS=2 -e POSTPROCESS=True -e QUIET=False -e PORT=8080 -e MODEL_DIR=/app/model -e PROCESSOR=cpu"
                + " -e PREDICTORS_PER_MODEL=0 -e DRAIN_SECONDS=20 -e DRAIN_DELAY=5 -e MAX_BATCH_SIZE=4 -e MAX_BATCH_DELAY_MS=0"
                + " -e MAX_QUEUE=32 -e MAX_REQUEST_BYTES=1048576 -e REQUEST_TIMEOUT_MS=0 -e SEQUENCE_BUCKET=16 -e MALLOC_ARENA_MAX=1024 -e OMP_WAIT_POLICY=PASSIVE tiny-bert-qa:v15-cpu", cmd);
    }

    @Test
    void gpuServersGetGpusAndInfServersTheNeuronDevices() throws IOException {
        assertTrue(line(new DockerCommands(config(Map.of("processor", "gpu"))).serverRun(0, 8080)).contains(" --gpus all "));
        String inf = line(new DockerCommands(config(Map.of("processor", "inf2"))).serverRun(0, 8080));
        assertTrue(inf.contains("-e AWS_NEURON_VISIBLE_DEVICES=ALL") && inf.contains("--privileged")
                && inf.contains("-e NEURON_LIBRARY_PATH=/opt/neuron/lib") && inf.endsWith(" tiny-bert-qa:v15-inf2"), inf);
        assertFalse(line(new DockerCommands(config(Map.of())).serverRun(0, 8080)).contains("--gpus"));
    }

    @Test
    void aStoreOnThisMachineIsReachedFromTheContainer() throws IOException {
        // a loopback endpoint is the container's own loopback: the host is named through the bridge
        DockerCommands s3 = new DockerCommands(config(Map.of("model_store", "s3://models/p", "s3_endpoint", "http://127.0.0.1:9000")));
        Map<String, String> env = new java.util.LinkedHashMap<>(Map.of("MODEL_STORE", "s3://models/p", "S3_ENDPOINT", "http://127.0.0.1:9000"));
        assertEquals(List.of("--add-host=host.docker.internal:host-gateway"), s3.storeAccess(env, 0));
        assertEquals("http://host.docker.internal:9000", env.get("S3_ENDPOINT"));
        assertTrue(s3.endpointOnLoopback());
        Map<String, String> remote = new java.util.LinkedHashMap<>(Map.of("MODEL_STORE", "s3://models/p", "S3_ENDPOINT", "https://minio.lan:9000"));
        assertEquals(List.of(), s3.storeAccess(remote, 0));
        assertEquals("https://minio.lan:9000", remote.get("S3_ENDPOINT"));
        assertFalse(new DockerCommands(config(Map.of("model_store", "s3://models/p", "s3_endpoint", "https://minio.lan"))).endpointOnLoopback());
        // a folder store is mounted read-only; a cache folder per server, writable
        Path store = dir.resolve("store");
        DockerCommands folder = new DockerCommands(config(Map.of("model_store", store.toString(), "model_cache_dir", dir.resolve("cache").toString())));
        Map<String, String> local = new java.util.LinkedHashMap<>(Map.of("MODEL_STORE", store.toString(), "MODEL_CACHE_DIR", "/x"));
        assertEquals(List.of("-v", store + ":/var/lib/model-store:ro", "-v", dir.resolve("cache/tiny-bert-qa-cpu-1") + ":/var/cache/models"),
                folder.storeAccess(local, 1));
        assertEquals(Map.of("MODEL_STORE", "/var/lib/model-store", "MODEL_CACHE_DIR", "/var/cache/models"), local);
        assertEquals(List.of(), new DockerCommands(config(Map.of())).storeAccess(new java.util.HashMap<>(Map.of("NUM_MODELS", "2")), 0));
    }

    @Test
    void clientsAddressServersByNameOnTheNetwork() throws IOException {
        String cmd = line(new DockerCommands(config(Map.of())).clientRun(0, "bmk"));
        assertTrue(cmd.startsWith("docker run -d --name test-tiny-bert-qa-0 --network tiny-bert-qa-cpu-net"), cmd);
        assertTrue(cmd.contains("--label app.kubernetes.io/component=test-client"), cmd);
        assertTrue(cmd.contains("test-tiny-bert-qa:v15-cpu bmk --server http://tiny-bert-qa-cpu-0:8080 --server http://tiny-bert-qa-cpu-1:8080 --models 2 --name test-tiny-bert-qa-0"), cmd);
        assertFalse(cmd.contains("--results"), cmd);
        assertTrue(cmd.contains(" --rate 0 --connections 64 --max-error-rate 0"), "bmk_max_error_rate reaches the client: " + cmd);
        String idle = line(new DockerCommands(config(Map.of())).clientRun(1, null));
        assertTrue(idle.contains("test-tiny-bert-qa:v15-cpu idle --server"), idle);
    }

    @Test
    void imageBuildsUseTheContainerfilesTheBaseFromAndThePackFolder() throws IOException {
        Images images = new Images(config(Map.of("base_image_from", "local-jre:1")));
        Path root = Artifacts.sourceRoot();
        String base = line(images.buildCommand(Images.Kind.BASE, root.resolve("models"), Map.of("NEURON_PIP_INDEX", "x", "OTHER", "y")));
        assertEquals("docker build -f " + root.resolve("Containerfiles/base-cpu") + " --build-arg BASE_FROM=local-jre:1"
                + " --build-arg NEURON_PIP_INDEX=x --label app.kubernetes.io/managed-by=jdo-inference -t aws-do-inference-base:v15-cpu "
                + root.resolve("models"), base);
        String model = line(images.buildCommand(Images.Kind.MODEL, Path.of("/p"), Map.of()));
        assertTrue(model.contains("Containerfiles/model-server --build-arg BASE_IMAGE=aws-do-inference-base:v15-cpu") && model.endsWith("-t tiny-bert-qa:v15-cpu /p"), model);
        String test = line(images.buildCommand(Images.Kind.TEST, Path.of("/t"), Map.of()));
        assertTrue(test.contains("Containerfiles/test-client") && test.endsWith("-t test-tiny-bert-qa:v15-cpu /t"), test);
        String arm = line(new Images(config(Map.of("processor", "graviton"))).buildCommand(Images.Kind.BASE, Path.of("/m"), Map.of()));
        assertTrue(arm.startsWith("docker build --platform linux/arm64 -f ") && arm.contains("Containerfiles/base-graviton"), arm);
        assertEquals(Map.of("DOCKER_BUILDKIT", "0"), Images.ENV);
    }

    @Test
    void registryTagsAndAMissingCliAreClear() throws IOException {
        Images images = new Images(config(Map.of("registry", "registry.local:5000/", "container_cli", "podman")));
        assertEquals("registry.local:5000/tiny-bert-qa:v15-cpu", images.tag(Images.Kind.MODEL));
        org.junit.jupiter.api.Assumptions.assumeFalse(Shell.onPath("podman"), "podman is installed here");
        CliError e = org.junit.jupiter.api.Assertions.assertThrows(CliError.class, images::checkEngine);
        assertTrue(e.getMessage().contains("container_cli=podman is not installed (not on PATH)"), e.getMessage());
    }

    @Test
    void everyProcessorHasAContainerfileAndTheImagesRunAsNonRoot() throws IOException {
        Path files = Artifacts.sourceRoot().resolve("Containerfiles");
        for (String p : List.of("cpu", "gpu", "graviton", "inf1", "inf2")) {
            String text = Files.readString(files.resolve("base-" + p));
            assertTrue(text.contains("ARG BASE_FROM") && text.contains("FROM ${BASE_FROM}") || text.contains("FROM --platform=linux/arm64 ${BASE_FROM}"), p);
        }
        String server = Files.readString(files.resolve("model-server"));
        assertTrue(server.contains("USER 1000") && server.contains("EXPOSE 8080") && server.contains("HEALTHCHECK") && server.contains("/health/ready"));
        assertTrue(Files.readString(files.resolve("test-client")).contains("ENTRYPOINT [\"java\", \"-jar\""));
    }
}
