package scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lib.report.BenchmarkReport;
import lib.report.BenchmarkResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import support.Scripts;
import support.Scripts.Run;

/**
 * The whole cycle with runtime=local as a user runs it: real scripts, real server processes
 * serving the bundled model, real load clients, bma on their results.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalCycleTest {
    @TempDir
    static Path dir;
    static Path project;

    @BeforeAll
    static void project() throws IOException {
        project = Scripts.project(dir, Map.ofEntries(Map.entry("num_servers", "2"), Map.entry("num_models", "2"),
                Map.entry("num_test_containers", "2"), Map.entry("service_port", "18080"), Map.entry("bmk_duration", "4"),
                Map.entry("bmk_interval", "2"), Map.entry("bmk_warmup", "1"), Map.entry("bmk_threads", "2"),
                Map.entry("predictors_per_model", "1"), Map.entry("deploy_timeout", "120"), Map.entry("num_requests", "5"),
                // two more distinct models (copies of the bundled one), of which the budget holds one at a time
                Map.entry("extra_models", "second=bundled,third=bundled"), Map.entry("model_memory_budget", "6Mi"),
                Map.entry("pinned_models", "tiny-bert-qa")));
    }

    @AfterAll
    static void stopEverything() {
        Scripts.run(project, "test.java", "stop");
        Scripts.run(project, "deploy.java", "stop");
    }

    static Run ok(String script, String... args) {
        Run run = Scripts.run(project, script, args);
        assertEquals(0, run.exitCode(), run::toString);
        return run;
    }

    static List<ProcessHandle> ourJavaProcesses() {
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine().map(c -> c.contains(dir.toString())).orElse(false)).toList();
    }

    @Test
    @Order(1)
    void stopWhenNothingRunsSaysSo() {
        assertTrue(ok("deploy.java", "stop").stdout().contains("nothing to stop"));
        assertTrue(ok("deploy.java", "status").stdout().contains("No servers are running"));
        Run early = Scripts.run(project, "deploy.java", "run");
        assertEquals(2, early.exitCode(), early::toString);
        assertTrue(early.stderr().contains("run ./trace.java and ./pack.java first"), early::toString);
    }

    @Test
    @Order(2)
    void traceBuildAndPack() {
        Run trace = ok("trace.java");
        assertTrue(trace.stdout().contains("Model Answer:") || trace.stdout().contains("Answer:"), trace::toString);
        assertTrue(Files.isRegularFile(dir.resolve("trace-tiny-bert-qa/tiny-bert-qa_bs1_seq128_pc1_cpu.pt")));
        ok("build.java");
        Run pack = ok("pack.java");
        assertTrue(pack.stdout().contains("packed into"), pack::toString);
        Path packed = dir.resolve("build/tiny-bert-qa-v15-cpu");
        assertTrue(Files.isRegularFile(packed.resolve("model-server.jar")));
        assertTrue(Files.isRegularFile(packed.resolve("model/metadata.json")));
        assertTrue(Files.isRegularFile(packed.resolve("models/second/second_bs1_seq128_pc1_cpu.pt")));
        assertTrue(Files.isRegularFile(packed.resolve("models/third/metadata.json")));
        assertTrue(Files.isRegularFile(packed.resolve("config.properties")));
        assertTrue(trace.stdout().contains("Tracing third (model_source=bundled)"), trace::toString);
    }

    @Test
    @Order(3)
    void deployRunStartsServersOnceAndStatusShowsThem() {
        Run run = ok("deploy.java", "run");
        assertTrue(run.stdout().contains("Ready: tiny-bert-qa-cpu-0"), run::toString);
        Run again = ok("deploy.java", "run");
        assertTrue(again.stdout().contains("All 2 servers are already running"), again::toString);
        assertEquals(2, ourJavaProcesses().stream().filter(p -> p.info().commandLine().orElse("").contains("model-server.jar")).count(),
                "no duplicates");
        Run status = ok("deploy.java", "status");
        assertEquals(3, status.stdout().lines().count(), status::toString);
        assertTrue(status.stdout().contains("ready"), status::toString);
        Run one = ok("deploy.java", "status", "1");
        assertTrue(one.stdout().contains("tiny-bert-qa-cpu-1") && !one.stdout().contains("tiny-bert-qa-cpu-0"), one::toString);
        Run out = Scripts.run(project, "deploy.java", "status", "2");
        assertEquals(2, out.exitCode(), out::toString);
        Path shell = dir.resolve("fake-shell.sh");
        try {
            Files.writeString(shell, "#!/bin/sh\necho \"in $PWD with NUM_MODELS=$NUM_MODELS PORT=$PORT\"\n");
            shell.toFile().setExecutable(true);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        Run exec = Scripts.run(project, Map.of("SHELL", shell.toString()), 120, "deploy.java", "exec", "1");
        assertEquals(0, exec.exitCode(), exec::toString);
        assertTrue(exec.stdout().contains("in " + dir.resolve(".jdo/local/servers/tiny-bert-qa-cpu-1") + " with NUM_MODELS=2 PORT=18081"), exec::toString);
        Run logs = ok("deploy.java", "logs", "--no-follow");
        assertTrue(logs.stdout().contains("[tiny-bert-qa-cpu-0] ") && logs.stdout().contains("[tiny-bert-qa-cpu-1] "), logs::toString);
    }

    @Test
    @Order(4)
    void everyModelAnswersByNameAndTheBudgetSwapsTheUnpinnedOnes() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.util.function.Function<String, String> get = path -> {
            try {
                return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:18080" + path)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            } catch (IOException | InterruptedException e) {
                throw new AssertionError(e);
            }
        };
        String models = get.apply("/models");
        assertTrue(models.contains("\"name\":\"second\",\"status\":\"unloaded\""), models);
        String expected = get.apply("/predictions/model0");
        assertTrue(expected.startsWith("{\"detail\":"), expected);
        for (String path : List.of("/predictions/second", "/predictions/model3", "/predictions/third", "/predictions/second")) {
            assertEquals(expected, get.apply(path), path);
        }
        String metrics = get.apply("/metrics");
        assertTrue(metrics.contains("jdo_model_evictions_total{model=\"second\"} 1.0"), metrics);
        assertTrue(metrics.contains("jdo_model_loads_total{model=\"second\"} 2.0"), metrics);
    }

    @Test
    @Order(5)
    void seqAndRndReachEveryServer() {
        Run seq = ok("test.java", "run", "seq", "-Dnum_test_containers=1");
        assertTrue(seq.stdout().contains("seq: 8 requests, 0 failed"), seq::toString);
        Run rnd = ok("test.java", "run", "rnd", "-Dnum_test_containers=1");
        assertTrue(rnd.stdout().contains("rnd: 5 requests, 0 failed"), rnd::toString);
    }

    @Test
    @Order(6)
    void clientsWhoseRequestsFailAreNamedAndTheRunFails() {
        // the servers have model0 to model3 (two copies, then second and third): model4 answers 404
        Run seq = Scripts.run(project, "test.java", "run", "seq", "-Dnum_models=3");
        assertEquals(1, seq.exitCode(), seq::toString);
        assertTrue(seq.stdout().contains("seq test-tiny-bert-qa-0 FAILED: 2 of 10 requests failed"), seq::toString);
        assertTrue(seq.stderr().contains("2 of 2 test clients failed: test-tiny-bert-qa-0 (exit 1), test-tiny-bert-qa-1 (exit 1);"), seq::toString);
        assertTrue(ok("test.java", "status").stdout().contains("finished (exit 1)"));
        Run lenient = ok("test.java", "run", "seq", "-Dnum_models=3", "-Dbmk_max_error_rate=0.4", "-Dnum_test_containers=1");
        assertTrue(lenient.stdout().contains("seq: 10 requests, 2 failed"), lenient::toString);
        Run bad = Scripts.run(project, "test.java", "run", "seq", "-Dbmk_max_error_rate=2");
        assertEquals(2, bad.exitCode(), bad::toString);
        assertTrue(bad.stderr().contains("bmk_max_error_rate=2 must be from 0 to 1"), bad::toString);
    }

    @Test
    @Order(7)
    void bmkFromTwoClientsThenBmaAggregatesExactly() throws Exception {
        Run bmk = ok("test.java", "run", "bmk");
        assertTrue(bmk.stdout().contains("[test-tiny-bert-qa-0] {'pid': "), bmk::toString);
        Run status = ok("test.java", "status");
        assertTrue(status.stdout().contains("finished (exit 0)"), status::toString);
        Run bma = ok("test.java", "run", "bma");
        assertTrue(bma.stdout().contains("Aggregated statistics of 2 clients"), bma::toString);
        String last = bma.stdout().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.matches("\\{ 'throughput_total': [0-9.]+, 'p50_avg': [0-9.]+, 'p90_avg': [0-9.]+, 'p95_avg': [0-9.]+, 'errors_total': 0 }"), last);
        // the merged histogram file equals the merge of the clients' own result files
        BenchmarkReport.Aggregate fromFiles = BenchmarkReport.aggregate(Map.of(
                "a", BenchmarkResult.PREFIX + Files.readString(dir.resolve("results/test-tiny-bert-qa-0.json")),
                "b", BenchmarkResult.PREFIX + Files.readString(dir.resolve("results/test-tiny-bert-qa-1.json"))));
        assertTrue(fromFiles.requests() > 0);
        assertEquals(0, fromFiles.errors());
        assertTrue(Files.readString(dir.resolve("results/bma-summary.json")).contains("\"requests\" : " + fromFiles.requests()));
        // and the report page, with the run's settings and its plots
        assertTrue(bma.stdout().contains("report: " + dir.resolve("results/report.html")), bma::toString);
        String report = Files.readString(dir.resolve("results/report.html"));
        assertTrue(report.contains("<tr><th>model copies per server (num_models)</th><td>2</td></tr>"), "settings");
        assertTrue(report.contains("<tr><th>precision</th><td>float32 (traced model outputs)</td></tr>"), "precision from the trace");
        assertTrue(report.contains("<td>test-tiny-bert-qa-1</td><td>closed, 2 threads</td>"), "summary row");
        assertEquals(3, report.split("src=\"data:image/png;base64,", -1).length - 1, "distribution, throughput, p50/p99: no errors");
        assertTrue(report.contains("No errors: every measured request succeeded."));
    }

    @Test
    @Order(8)
    void stopLeavesNoProcess() {
        Run stop = ok("deploy.java", "stop");
        // both were running: the second drains while the first is waited for, and is still "stopped"
        assertTrue(stop.stdout().contains("tiny-bert-qa-cpu-0 stopped") && stop.stdout().contains("tiny-bert-qa-cpu-1 stopped"), stop::toString);
        ok("test.java", "stop");
        assertEquals(List.of(), ourJavaProcesses());
        assertFalse(Files.exists(dir.resolve(".jdo/local/servers/tiny-bert-qa-cpu-0")));
    }

    @Test
    @Order(9)
    void aServerThatCannotLoadItsModelIsReportedAndNothingIsLeftRunning() throws IOException {
        Path model = dir.resolve("build/tiny-bert-qa-v15-cpu/model/tiny-bert-qa_bs1_seq128_pc1_cpu.pt");
        Files.writeString(model, "PK\u0003\u0004 but not a model");
        Run run = Scripts.run(project, "deploy.java", "run", "-Ddeploy_timeout=60");
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.stderr().contains("did not start") || run.stderr().contains("not ready"), run::toString);
        assertEquals(List.of(), ourJavaProcesses());
        assertTrue(ok("deploy.java", "status").stdout().contains("No servers are running"));
    }
}
