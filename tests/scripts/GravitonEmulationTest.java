package scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import support.Arm64Emulation;
import support.DockerEngine;
import support.Scripts;
import support.Scripts.Run;

/**
 * processor=graviton as a user runs it, on this x86 machine under arm64 emulation (qemu-user-static):
 * the graviton base and model images built by ./build.java and ./pack.java FROM a locally made
 * linux/arm64 Java image, and ./deploy.java run starting the server container offline with the
 * aarch64 PyTorch library pack put in its jar; it must answer the original's question as the x86
 * trace check did; then int8 the same on an emulated Graviton 2 core. Slow (the server loads the
 * model in about half a minute under emulation).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GravitonEmulationTest {
    static final String APP = "tiny-bert-qa-graviton";
    static final String BASE = "aws-do-inference-base:v15-graviton";
    static final String MODEL = "tiny-bert-qa:v15-graviton";
    static final int PORT = 18380;
    static final String QUESTION = "What does the little engine say?";

    @TempDir
    static Path dir;
    static Path project;
    static long started;
    static String x86Answer;

    @BeforeAll
    static void emulationAndProject() throws IOException {
        started = System.nanoTime();
        Arm64Emulation.ensure();
        DockerEngine.removeOurs(APP);
        for (String image : List.of(MODEL, BASE)) {
            DockerEngine.docker("rmi", "-f", image);
        }
        project = Scripts.project(dir, Map.ofEntries(Map.entry("runtime", "docker"), Map.entry("registry", ""),
                Map.entry("processor", "graviton"), Map.entry("base_image_from", Arm64Emulation.JAVA_IMAGE),
                Map.entry("num_servers", "1"), Map.entry("num_models", "1"), Map.entry("predictors_per_model", "1"),
                Map.entry("service_port", String.valueOf(PORT)), Map.entry("deploy_timeout", "900")));
    }

    @AfterAll
    static void stopEverything() {
        if (project != null) {
            Scripts.run(project, "deploy.java", "stop");
            DockerEngine.removeOurs(APP);
        }
        System.out.printf("GravitonEmulationTest took %d s%n", (System.nanoTime() - started) / 1_000_000_000L);
    }

    static Run ok(String script, String... args) {
        Run run = Scripts.run(project, Map.of(), 1200, script, args);
        assertEquals(0, run.exitCode(), run::toString);
        return run;
    }

    static String architecture(String image) {
        return DockerEngine.docker("image", "inspect", "--format", "{{.Architecture}}", image).output().strip();
    }

    @Test
    @Order(1)
    void buildMakesAnArm64BaseImageFromTheLocalArm64Java() {
        Run build = ok("build.java");
        assertTrue(build.stdout().contains("docker build --platform linux/arm64 -f ")
                && build.stdout().contains("BASE_FROM=" + Arm64Emulation.JAVA_IMAGE), build::toString);
        assertEquals("arm64", architecture(BASE));
    }

    @Test
    @Order(2)
    void traceChecksTheModelHereAndSaysThisIsNotAGravitonMachine() {
        Run trace = ok("trace.java");
        assertTrue(trace.stdout().contains("tiny-bert-qa_bs1_seq128_pc1_graviton.pt"), trace::toString);
        assertTrue(trace.all().contains("detected device_type (cpu) does not match the configured processor (graviton)"), trace::toString);
        Matcher answer = Pattern.compile("Model Answer: (.+)").matcher(trace.stdout());
        assertTrue(answer.find(), trace::toString);
        x86Answer = answer.group(1).strip();
    }

    @Test
    @Order(3)
    void packPutsTheAarch64NativeLibraryInTheServerJarAndBuildsAnArm64ModelImage() throws IOException {
        Run pack = ok("pack.java");
        assertTrue(pack.stdout().contains("ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-aarch64"), pack::toString);
        assertTrue(pack.stdout().contains("Built " + MODEL), pack::toString);
        assertEquals("arm64", architecture(MODEL));
        Path jar = project.resolve("build").resolve("tiny-bert-qa-v15-graviton").resolve("model-server.jar");
        try (FileSystem fs = FileSystems.newFileSystem(jar); Stream<Path> all = Files.walk(fs.getPath("/"))) {
            List<String> natives = all.map(Path::toString).filter(p -> p.startsWith("/pytorch/")).toList();
            assertTrue(natives.contains("/pytorch/cpu/linux-aarch64/libtorch_cpu.so"), natives.toString());
            assertFalse(natives.stream().anyMatch(p -> p.contains("x86_64")), natives.toString());
        }
    }

    @Test
    @Order(4)
    void deployRunStartsTheServerOfflineAsAarch64AndItAnswersTheOriginalsQuestion() throws Exception {
        Run run = ok("deploy.java", "run");
        assertTrue(run.stdout().contains("Ready: " + APP + "-0 http://127.0.0.1:" + PORT), run::toString);
        DockerEngine.Out arch = DockerEngine.docker("exec", APP + "-0", "uname", "-m");
        assertEquals("aarch64", arch.output().strip());
        DockerEngine.Out cmd = DockerEngine.docker("inspect", "--format", "{{json .Config.Entrypoint}}", APP + "-0");
        assertTrue(cmd.output().contains("-Dai.djl.offline=true"), cmd.output());
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT
                + "/predictions/model0?seq_0=" + URLEncoder.encode(QUESTION, StandardCharsets.UTF_8))).timeout(Duration.ofMinutes(2)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response::body);
        String detail = new ObjectMapper().readTree(response.body()).get("detail").asText();
        assertFalse(detail.isBlank(), response.body());
        if (x86Answer != null) {
            assertEquals(x86Answer, detail, "the arm64 server answers as the x86 trace check did");
        }
        Run logs = ok("deploy.java", "logs", "--no-follow");
        assertFalse(logs.stdout().contains("Downloading"), "an offline server downloads nothing:\n" + logs.stdout());
    }

    /**
     * int8 on arm64, as far as emulation can tell: the int8 trace of the same model, made on x86,
     * served by the arm64 model image with the emulated CPU set to Graviton 2's core
     * (QEMU_CPU=neoverse-n1). qemu's default `max` CPU announces SME, whose int8 kernels libtorch
     * then picks and this qemu cannot run (SIGILL; docs/precision.md); no Graviton has SME. The
     * image of order 3 is reused with the int8 folder copied in, so this adds one trace and one
     * emulated server start, no second pack.
     */
    @Test
    @Order(5)
    void int8AnswersAsOnX86OnAnEmulatedGravitonCore() throws Exception {
        Run trace = ok("trace.java", "-Dprecision=int8");
        Matcher traced = Pattern.compile("Model Answer: (.+)").matcher(trace.stdout());
        assertTrue(trace.stdout().contains("tiny-bert-qa_bs1_seq128_pc1_graviton_int8.pt") && traced.find(), trace::toString);
        String name = APP + "-int8";
        int port = PORT + 1;
        lib.config.Config config = lib.config.Config.load(project.resolve("config.properties"), Map.of("precision", "int8"));
        List<String> create = new java.util.ArrayList<>(List.of("create", "--name", name, "-p", port + ":" + lib.runtime.ServerEnv.CONTAINER_PORT,
                "-e", "QEMU_CPU=neoverse-n1"));
        lib.runtime.ServerEnv.env(config, 0, lib.runtime.ServerEnv.CONTAINER_PORT, "/app/model-int8")
                .forEach((k, v) -> create.addAll(List.of("-e", k + "=" + v)));
        create.add(MODEL);
        try {
            assertTrue(DockerEngine.docker(create.toArray(String[]::new)).ok());
            DockerEngine.Out copied = DockerEngine.docker("cp", project.resolve("trace-tiny-bert-qa") + "/.", name + ":/app/model-int8");
            assertTrue(copied.ok(), copied.output());
            assertTrue(DockerEngine.docker("start", name).ok());
            lib.runtime.Readiness.await(Map.of(name, URI.create("http://127.0.0.1:" + port + "/health/ready")), Duration.ofSeconds(600),
                    n -> DockerEngine.docker("inspect", "--format", "{{.State.Running}}", name).output().strip().equals("true") ? null
                            : "exited: " + DockerEngine.docker("logs", "--tail", "30", name).output());
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/predictions/model0?seq_0=" + URLEncoder.encode(QUESTION, StandardCharsets.UTF_8))).timeout(Duration.ofMinutes(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response::body);
            assertEquals(traced.group(1).strip(), new ObjectMapper().readTree(response.body()).get("detail").asText(),
                    "the arm64 int8 server answers as the x86 int8 trace check did");
            HttpResponse<String> models = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/models")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(Files.size(project.resolve("trace-tiny-bert-qa/tiny-bert-qa_bs1_seq128_pc1_graviton_int8.pt")),
                    new ObjectMapper().readTree(models.body()).get("models").get(0).get("bytes").asLong(), "the int8 file was served: " + models.body());
        } finally {
            DockerEngine.docker("rm", "-f", name);
        }
    }

    @Test
    @Order(6)
    void stopLeavesNothing() {
        Run stop = ok("deploy.java", "stop");
        assertTrue(stop.stdout().contains(APP + "-0 stopped"), stop::toString);
        assertEquals(List.of(), DockerEngine.ours("container", APP));
    }
}
