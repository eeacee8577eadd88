package scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import support.S3Server;
import support.Scripts;
import support.Scripts.Run;

/**
 * The model store end to end with runtime=local, as a user runs it: trace, pack push to a real
 * S3-compatible server on loopback (s3proxy, credentials from the environment only), deploy run,
 * and answers from models the servers pulled; the pack folder holds no model.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StoreCycleTest {
    @TempDir
    static Path dir;
    static Path project;
    static S3Server s3;
    static int port;
    static final Map<String, String> AWS = Map.of("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY,
            "AWS_REGION", "us-east-1");

    @BeforeAll
    static void storeAndProject() throws Exception {
        s3 = S3Server.start();
        s3.createBucket("models");
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        project = Scripts.project(dir, Map.ofEntries(Map.entry("num_servers", "1"), Map.entry("num_models", "1"),
                Map.entry("service_port", Integer.toString(port)), Map.entry("predictors_per_model", "1"),
                Map.entry("deploy_timeout", "120"), Map.entry("model_store", "s3://models/e2e"), Map.entry("s3_endpoint", s3.endpoint()),
                // a second model, pulled on its first request under the budget
                Map.entry("extra_models", "second=bundled"), Map.entry("model_memory_budget", "6Mi"),
                Map.entry("pinned_models", "tiny-bert-qa")));
    }

    @AfterAll
    static void stop() throws Exception {
        Scripts.run(project, AWS, 300, "deploy.java", "stop");
        s3.close();
    }

    static Run ok(String script, String... args) {
        Run run = Scripts.run(project, AWS, 600, script, args);
        assertEquals(0, run.exitCode(), run::toString);
        assertFalse(run.all().contains(S3Server.SECRET_KEY), "the secret is never printed");
        return run;
    }

    @Test
    @Order(1)
    void packPushPublishesEachModelAndPacksTheServerWithoutThem() throws IOException {
        ok("trace.java");
        Run push = ok("pack.java", "push");
        assertTrue(push.stdout().contains("tiny-bert-qa@") && push.stdout().contains("3 files"), push::toString);
        assertTrue(push.stdout().contains("second@"), push::toString);
        Run again = ok("pack.java", "push");
        assertTrue(again.stdout().contains("unchanged, nothing uploaded"), again::toString);
        try (Stream<Path> files = Files.walk(dir.resolve("build"))) {
            assertEquals(java.util.List.of(), files.filter(f -> f.toString().endsWith(".pt")).toList(), "no model in the pack folder");
        }
        assertTrue(Files.isRegularFile(dir.resolve("build/tiny-bert-qa-v15-cpu/model-server.jar")));
    }

    @Test
    @Order(2)
    void deployedServersAnswerFromModelsTheyPulled() throws Exception {
        Run run = ok("deploy.java", "run");
        assertTrue(run.stdout().contains("Ready: tiny-bert-qa-cpu-0"), run::toString);
        HttpClient http = HttpClient.newHttpClient();
        java.util.function.Function<String, HttpResponse<String>> get = path -> {
            try {
                return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (IOException | InterruptedException e) {
                throw new AssertionError(e);
            }
        };
        HttpResponse<String> first = get.apply("/predictions/model0");
        assertEquals(200, first.statusCode(), first.body());
        HttpResponse<String> lazy = get.apply("/predictions/second");
        assertEquals(200, lazy.statusCode(), lazy.body());
        assertEquals(first.body(), lazy.body(), "the same bundled weights answer alike");
        String models = get.apply("/models").body();
        assertTrue(models.contains("\"store\":\"s3://models/e2e at " + s3.endpoint() + "\""), models);
        assertTrue(models.contains("\"downloads\":1"), models);
        try (Stream<Path> cached = Files.walk(dir.resolve(".jdo/model-cache/tiny-bert-qa-cpu-0"))) {
            assertEquals(2, cached.filter(f -> f.getFileName().toString().endsWith(".pt")).count(), "both models in the server's cache");
        }
        Run status = ok("deploy.java", "status");
        assertTrue(status.stdout().contains("tiny-bert-qa@") && status.stdout().contains("second@"), status::toString);
        Run logs = ok("deploy.java", "logs", "--no-follow");
        assertTrue(logs.stdout().contains("event=model_pulled model=tiny-bert-qa"), logs::toString);
    }
}
