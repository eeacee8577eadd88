package scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lib.store.Blobs;
import lib.store.ModelStores;
import lib.store.Placement;
import lib.store.Publisher;
import lib.trace.ModelVariants;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.Scripts;
import support.Scripts.Run;

/**
 * A store's catalog end to end on the local runtime: a folder store holding the bundled model and
 * 200 distinct variants of it, two servers with `extra_models=*` under a budget that holds a few
 * of them, the load client's seq asking every model once on its preferred server, and a request
 * for a model on the server it is not placed on (a foreign request) answered all the same, marked
 * as a cold load, and counted by the server as foreign where the seq's were preferred; a short bmk
 * whose bma tells the cold loads the servers marked from the hits.
 */
class CatalogCycleTest {
    static final int MODELS = 200;
    @TempDir
    static Path dir;
    static Path project;

    @AfterAll
    static void stop() {
        if (project != null) {
            Scripts.run(project, Map.of(), 300, "deploy.java", "stop");
        }
    }

    static Run ok(String script, String... args) {
        Run run = Scripts.run(project, Map.of(), 900, script, args);
        assertEquals(0, run.exitCode(), run::toString);
        return run;
    }

    @Test
    void twoServersServeACatalogOfHundredsOfModelsUnderABudget() throws Exception {
        Path store = dir.resolve("store");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        project = Scripts.project(dir.resolve("project"), Map.ofEntries(Map.entry("num_servers", "2"), Map.entry("num_models", "1"),
                Map.entry("service_port", Integer.toString(port)), Map.entry("predictors_per_model", "1"),
                Map.entry("deploy_timeout", "180"), Map.entry("model_store", store.toString()), Map.entry("model_replicas", "1"),
                Map.entry("model_memory_budget", "20Mi"), Map.entry("request_frequency", "0"), Map.entry("num_test_containers", "1")));
        ok("trace.java");
        ok("pack.java", "push");
        Path trace = project.resolve("trace-tiny-bert-qa");
        String file = String.valueOf(lib.model.ModelSpec.metadata(trace).get("file"));
        try (Blobs blobs = ModelStores.open(store.toString(), "", null)) {
            for (int i = 0; i < MODELS; i++) {
                Path v = ModelVariants.write(trace, dir.resolve("variants/v" + i), "v" + i, 1 + (i + 1) / 1000f);
                Publisher.publish(blobs, "v" + i, v, file, List.of(file, "tokenizer.json", "metadata.json"), "fp32", "cpu");
            }
        }
        lib.config.Config.set(project.resolve("config.properties"), "extra_models", "*");

        Run models = ok("deploy.java", "models");
        assertTrue(models.stdout().contains("201 models (200 of the catalog placed on 1 of 2 servers each"), models::toString);
        ok("deploy.java", "run");
        int[] per = new int[2];
        for (int i = 0; i < MODELS; i++) {
            per[Placement.preferred("v" + i, 2, 1)[0]]++;
        }
        Run status = ok("deploy.java", "status");
        assertTrue(status.stdout().contains("server 0: preferred for " + per[0] + " models of the catalog")
                && status.stdout().contains("server 1: preferred for " + per[1] + " models of the catalog"), status::toString);
        Run seq = ok("test.java", "run", "seq");
        ok("test.java", "status");
        Run logs = ok("test.java", "logs", "--no-follow");
        assertTrue(logs.stdout().contains("seq: " + MODELS + " requests, 0 failed"), logs + "\n" + seq);

        // a foreign request: a model placed on server 1, asked of server 0
        String foreign = java.util.stream.IntStream.range(0, MODELS).mapToObj(i -> "v" + i)
                .filter(n -> Placement.preferred(n, 2, 1)[0] == 1).findFirst().orElseThrow();
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/predictions/" + foreign
                + "?seq_0=what")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), answer.body());
        assertEquals("cold", answer.headers().firstValue("X-Model-Load").orElse(""), "server 0 had never loaded " + foreign);
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        // seq sent server 0 each of its models once, by placement; the foreign request is the only other
        assertEquals(per[0], gauge(metrics, "jdo_placement_requests_total{model=\"v", "placement=\"preferred\""), metrics);
        assertEquals(1.0, gauge(metrics, "jdo_placement_requests_total{model=\"" + foreign + "\",placement=\"foreign\"}"), metrics);
        assertEquals(1.0, gauge(metrics, "jdo_placement_requests_total{", "placement=\"foreign\""), metrics);
        // a short bmk by placement: the servers' X-Model-Load reaches the clients, and bma splits hits from cold loads
        ok("test.java", "run", "bmk", "-Dbmk_duration=4", "-Dbmk_interval=2", "-Dbmk_warmup=1");
        Run bma = ok("test.java", "run", "bma");
        java.util.regex.Matcher split = java.util.regex.Pattern.compile("catalog: hit ratio [0-9.]+ \\((\\d+) of (\\d+) requests")
                .matcher(bma.stdout());
        assertTrue(split.find(), bma::toString);
        // uniform over 100 models a server, of which its budget holds about 8: most requests are cold loads
        assertTrue(Long.parseLong(split.group(1)) < Long.parseLong(split.group(2)), bma::toString);
        double memory = gauge(metrics, "jdo_model_memory_bytes");
        double budget = gauge(metrics, "jdo_model_memory_budget_bytes");
        assertTrue(budget > 0 && memory <= budget, "memory " + memory + " within the budget " + budget);
        assertTrue(Files.isDirectory(project.resolve(".jdo")), "local runtime state");
    }

    static double gauge(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** The sum of the samples whose line starts with prefix and holds label. */
    static double gauge(String metrics, String prefix, String label) {
        return metrics.lines().filter(l -> l.startsWith(prefix) && l.contains(label))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
