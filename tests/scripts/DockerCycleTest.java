package scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import support.DockerEngine;
import support.S3Server;
import support.Scripts;
import support.Scripts.Run;

/**
 * The whole cycle with runtime=docker as a user runs it, on a real engine: images built from
 * Containerfiles/ FROM a locally made Java image (no registry), two server containers serving two
 * models each, two load-client containers on the network, bma on their logs, and nothing left.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DockerCycleTest {
    static final String APP = "tiny-bert-qa-cpu";
    static final List<String> IMAGES = List.of("aws-do-inference-base:v15-cpu", "tiny-bert-qa:v15-cpu", "test-tiny-bert-qa:v15-cpu");

    @TempDir
    static Path dir;
    static Path project;
    static long started;

    @BeforeAll
    static void engineAndProject() throws IOException {
        started = System.nanoTime();
        DockerEngine.ensure();
        DockerEngine.removeOurs(APP);
        // the project's images are built by this test, so a missing image is reported first
        for (String image : IMAGES) {
            DockerEngine.docker("rmi", "-f", image);
        }
        project = Scripts.project(dir, Map.ofEntries(Map.entry("runtime", "docker"), Map.entry("registry", ""),
                Map.entry("base_image_from", DockerEngine.LOCAL_JAVA_IMAGE),
                Map.entry("num_servers", "2"), Map.entry("num_models", "2"),
                Map.entry("num_test_containers", "2"), Map.entry("service_port", "18280"), Map.entry("bmk_duration", "4"),
                Map.entry("bmk_interval", "2"), Map.entry("bmk_warmup", "1"), Map.entry("bmk_threads", "2"),
                Map.entry("predictors_per_model", "1"), Map.entry("deploy_timeout", "180"), Map.entry("num_requests", "5"),
                Map.entry("extra_models", "second=bundled")));
    }

    @AfterAll
    static void stopEverything() {
        if (project != null) {
            Scripts.run(project, "test.java", "stop");
            Scripts.run(project, "deploy.java", "stop");
            DockerEngine.removeOurs(APP);
        }
        System.out.printf("DockerCycleTest took %d s%n", (System.nanoTime() - started) / 1_000_000_000L);
    }

    static Run ok(String script, String... args) {
        Run run = Scripts.run(project, script, args);
        assertEquals(0, run.exitCode(), run::toString);
        return run;
    }

    static Run fails(int code, String script, String... args) {
        Run run = Scripts.run(project, script, args);
        assertEquals(code, run.exitCode(), run::toString);
        return run;
    }

    @Test
    @Order(1)
    void nothingBuiltYetIsReportedClearly() {
        assertTrue(ok("deploy.java", "stop").stdout().contains("nothing to stop"));
        assertTrue(ok("deploy.java", "status").stdout().contains("No servers are running"));
        Run early = fails(1, "deploy.java", "run");
        assertTrue(early.stderr().contains("image tiny-bert-qa:v15-cpu not found: run ./pack.java first"), early::toString);
        Run push = ok("build.java", "push");
        assertTrue(push.stdout().contains("nothing to push"), push::toString);
    }

    @Test
    @Order(2)
    void buildTracePackAndTestBuildMakeTheImages() {
        Run build = ok("build.java");
        assertTrue(build.stdout().contains("docker build") && build.stdout().contains("BASE_FROM=" + DockerEngine.LOCAL_JAVA_IMAGE), build::toString);
        ok("trace.java");
        Run pack = ok("pack.java");
        assertTrue(pack.stdout().contains("Built tiny-bert-qa:v15-cpu"), pack::toString);
        ok("test.java", "build");
        for (String image : IMAGES) {
            assertTrue(DockerEngine.docker("image", "inspect", image).ok(), image);
        }
        DockerEngine.Out user = DockerEngine.docker("image", "inspect", "--format", "{{.Config.User}} {{.Config.ExposedPorts}} {{json .Config.Healthcheck}}", IMAGES.get(1));
        assertTrue(user.output().startsWith("1000 map[8080/tcp:{} 8081/tcp:{}]") && user.output().contains("127.0.0.1/8081")
                && user.output().contains("/health/ready"), "non-root, the API and probe ports, a health check on the probe port: "
                + user.output());
    }

    @Test
    @Order(3)
    void aForeignContainerWithAServerNameIsAClearError() {
        assertTrue(DockerEngine.docker("create", "--name", APP + "-1", DockerEngine.LOCAL_JAVA_IMAGE, "true").ok());
        try {
            Run run = fails(1, "deploy.java", "run");
            assertTrue(run.stderr().contains("was not started by jdo-inference"), run::toString);
            assertEquals(List.of(), DockerEngine.ours("container", APP));
        } finally {
            DockerEngine.docker("rm", "-f", APP + "-1");
        }
    }

    @Test
    @Order(4)
    void deployRunStartsTwoServersOnceAndStatusAndLogsShowThem() {
        Run run = ok("deploy.java", "run");
        assertTrue(run.stdout().contains("Ready: " + APP + "-0 http://127.0.0.1:18280, " + APP + "-1 http://127.0.0.1:18281"), run::toString);
        assertTrue(run.stdout().contains("--network " + APP + "-net -p 18280:8080"), run::toString);
        Run again = ok("deploy.java", "run");
        assertTrue(again.stdout().contains("All 2 servers are already running"), again::toString);
        assertEquals(List.of(APP + "-0", APP + "-1"), DockerEngine.ours("container", APP).stream().sorted().toList());
        Run status = ok("deploy.java", "status");
        assertTrue(status.stdout().contains(APP + "-0") && status.stdout().contains(APP + "-1") && status.stdout().contains("Up "), status::toString);
        Run one = ok("deploy.java", "status", "1");
        assertTrue(one.stdout().contains(APP + "-1") && !one.stdout().contains(APP + "-0 "), one::toString);
        fails(2, "deploy.java", "status", "2");
        Run logs = ok("deploy.java", "logs", "--no-follow");
        assertTrue(logs.stdout().contains("[" + APP + "-0] ") && logs.stdout().contains("[" + APP + "-1] "), logs::toString);
        // the image holds extra_models too: second answers by name and as model2, after the two copies
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.util.function.Function<String, String> get = path -> {
            try {
                return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:18281" + path)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            } catch (java.io.IOException | InterruptedException e) {
                throw new AssertionError(e);
            }
        };
        String expected = get.apply("/predictions/model0");
        assertTrue(expected.startsWith("{\"detail\":"), expected);
        assertEquals(expected, get.apply("/predictions/second"));
        assertEquals(expected, get.apply("/predictions/model2"));
        assertTrue(get.apply("/models").contains("\"id\":\"model2\",\"name\":\"second\",\"status\":\"ready\""));
    }

    @Test
    @Order(5)
    void seqReachesEveryModelOfEveryServerAndFailedClientsAreNamed() {
        Run seq = ok("test.java", "run", "seq", "-Dnum_test_containers=1");
        assertTrue(seq.stdout().contains("seq: 6 requests, 0 failed"), seq::toString);
        // the servers have model0 to model2 (two copies and second): model3 answers 404, so each client fails, and test run names them
        Run failing = fails(1, "test.java", "run", "seq", "-Dnum_models=3");
        assertTrue(failing.stdout().contains("seq test-tiny-bert-qa-1 FAILED: 2 of 8 requests failed"), failing::toString);
        assertTrue(failing.stderr().contains("2 of 2 test clients failed: test-tiny-bert-qa-0 (exit 1), test-tiny-bert-qa-1 (exit 1);"),
                failing::toString);
    }

    @Test
    @Order(6)
    void bmkFromTwoClientContainersThenBmaHasNoErrors() {
        Run bmk = ok("test.java", "run", "bmk");
        assertTrue(bmk.stdout().contains("[test-tiny-bert-qa-0] {'pid': ") && bmk.stdout().contains("[test-tiny-bert-qa-1] "), bmk::toString);
        Run status = ok("test.java", "status");
        assertTrue(status.stdout().contains("Exited (0)"), status::toString);
        Run logs = ok("test.java", "logs", "0", "--no-follow");
        assertTrue(logs.stdout().contains("BMK-RESULT"), logs::toString);
        Run bma = ok("test.java", "run", "bma");
        assertTrue(bma.stdout().contains("Aggregated statistics of 2 clients"), bma::toString);
        String last = bma.stdout().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.matches("\\{ 'throughput_total': [0-9.]+, 'p50_avg': [0-9.]+, 'p90_avg': [0-9.]+, 'p95_avg': [0-9.]+, 'errors_total': 0 }"), last);
    }

    @Test
    @Order(7)
    void stopLeavesNoContainerAndNoNetwork() {
        Run clients = ok("test.java", "stop");
        assertTrue(clients.stdout().contains("test-tiny-bert-qa-0 removed"), clients::toString);
        Run stop = ok("deploy.java", "stop");
        assertTrue(stop.stdout().contains(APP + "-0 stopped") && stop.stdout().contains("network " + APP + "-net removed"), stop::toString);
        assertEquals(List.of(), DockerEngine.ours("container", APP));
        assertEquals(List.of(), DockerEngine.ours("network", APP));
        assertTrue(ok("deploy.java", "status").stdout().contains("No servers are running"));
    }

    @Test
    @Order(8)
    void packPushAndPullGoThroughARegistry() throws Exception {
        String local = IMAGES.get(1);
        try (DockerEngine.Registry registry = DockerEngine.startRegistry(dir.resolve("registry"), 18299)) {
            String remote = registry.prefix() + local;
            String[] there = {"-Dregistry=" + registry.prefix(), "-Dregistry_type=other"};
            assertTrue(DockerEngine.docker("tag", local, remote).ok());
            Run push = ok("pack.java", "push", there[0], there[1]);
            assertTrue(push.stdout().contains("Pushing " + remote), push::toString);
            java.net.http.HttpResponse<String> tags = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + registry.prefix() + "v2/tiny-bert-qa/tags/list")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertTrue(tags.body().contains("\"v15-cpu\""), tags::body);
            assertTrue(DockerEngine.docker("rmi", remote).ok());
            Run pull = ok("pack.java", "pull", there[0], there[1]);
            assertTrue(pull.stdout().contains("Pulling " + remote), pull::toString);
            assertTrue(DockerEngine.docker("image", "inspect", remote).ok(), "pulled back");
            // an image that was never pushed is a failure with a hint, not a silent success
            Run missing = fails(1, "test.java", "pull", there[0], there[1]);
            assertTrue(missing.stderr().contains("pulling " + registry.prefix() + "test-tiny-bert-qa:v15-cpu failed"), missing::toString);
        } finally {
            DockerEngine.docker("rmi", "-f", "127.0.0.1:18299/" + local);
        }
    }

    @Test
    @Order(9)
    void serversInContainersAnswerFromModelsPulledFromAStoreOnThisMachine() throws Exception {
        Map<String, String> aws = Map.of("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        try (S3Server s3 = S3Server.startForContainers()) {
            s3.createBucket("models");
            // an S3 store on this machine's loopback (as a local MinIO), then a folder store
            for (String store : List.of("s3://models/docker", dir.resolve("folder-store").toString())) {
                List<String> d = new java.util.ArrayList<>(List.of("-Dmodel_store=" + store, "-Dnum_servers=1", "-Ddrain_delay=0"));
                if (store.startsWith("s3://")) {
                    d.add("-Ds3_endpoint=" + s3.endpoint());
                }
                java.util.function.Function<String[], Run> ok = args -> {
                    List<String> rest = new java.util.ArrayList<>(List.of(args).subList(1, args.length));
                    rest.addAll(d);
                    Run run = Scripts.run(project, aws, 600, args[0], rest.toArray(String[]::new));
                    assertEquals(0, run.exitCode(), run::toString);
                    assertTrue(!run.all().contains(S3Server.SECRET_KEY), "the secret is never printed: " + run);
                    return run;
                };
                if (store.startsWith("s3://")) {
                    // the model image without models: one image serves any model of the store
                    ok.apply(new String[] {"pack.java"});
                    DockerEngine.Out pt = DockerEngine.docker("run", "--rm", "--entrypoint", "find", IMAGES.get(1), "/app", "-name", "*.pt");
                    assertEquals("", pt.output().strip(), "no model in the image");
                }
                Run push = ok.apply(new String[] {"pack.java", "push"});
                assertTrue(push.stdout().contains("tiny-bert-qa@"), push::toString);
                Run run = ok.apply(new String[] {"deploy.java", "run"});
                assertTrue(run.stdout().contains("Ready: " + APP + "-0 http://127.0.0.1:18280"), run::toString);
                if (store.startsWith("s3://")) {
                    assertTrue(run.stdout().contains("--add-host=host.docker.internal:host-gateway")
                            && run.stdout().contains("S3_ENDPOINT=http://host.docker.internal:" + s3.endpoint().replaceAll(".*:", ""))
                            && run.stdout().contains("-e AWS_SECRET_ACCESS_KEY "), "credentials by name only: " + run);
                } else {
                    assertTrue(run.stdout().contains(store + ":/var/lib/model-store:ro"), run::toString);
                }
                java.net.http.HttpResponse<String> answer = http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:18280/predictions/model0")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(200, answer.statusCode(), answer.body());
                String models = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:18280/models")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                assertTrue(models.contains("\"downloads\":1"), "pulled from the store: " + models);
                ok.apply(new String[] {"deploy.java", "stop"});
            }
        }
    }
}
