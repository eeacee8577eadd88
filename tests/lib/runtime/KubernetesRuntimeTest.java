package lib.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lib.cli.CliError;
import lib.cli.Console;
import lib.config.Config;
import lib.config.ProcessorDefaults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Kubernetes runtime against the fabric8 mock API server in CRUD mode, the manifests against
 * golden files (regenerate: tests/run -Dtest=KubernetesRuntimeTest -Djdo.golden.update=true), and
 * the pod-status decisions on pod objects.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesRuntimeTest {
    // a fresh mock API server and client for each test: no state, and no connection, carried over
    KubernetesClient client;
    KubernetesMockServer server;
    static final Path GOLDEN = Path.of("tests/golden/kubernetes");
    // the mock logs every request from its event loop; kept referenced so the level holds
    static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    static {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    @TempDir
    Path dir;

    Config config(Map<String, String> overrides) {
        return support.ProjectConfig.load(dir, Map.of("runtime", "kubernetes", "account", "123456789012",
                "num_servers", "2", "num_test_containers", "3"), overrides);
    }

    KubernetesRuntime runtime(Map<String, String> overrides) throws IOException {
        return new KubernetesRuntime(config(overrides), () -> client, false);
    }

    static void golden(String name, String actual) throws IOException {
        Path file = GOLDEN.resolve(name);
        if (Boolean.getBoolean("jdo.golden.update")) {
            Files.createDirectories(GOLDEN);
            Files.writeString(file, actual);
        }
        assertEquals(Files.readString(file), actual, name + " differs from its golden file");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu", "graviton", "inf1", "inf2"})
    void serverManifestsOfEveryProcessorMatchTheirGoldenFileAndParseBack(String processor) throws IOException {
        Manifests m = new Manifests(config(Map.of("processor", processor)));
        String yaml = Manifests.yaml(m.server(0));
        golden("server-" + processor + ".yaml", yaml);
        List<HasMetadata> back = Serialization.unmarshal(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of("Service", "Deployment"), back.stream().map(HasMetadata::getKind).toList());
        Deployment d = (Deployment) back.get(1);
        var pod = d.getSpec().getTemplate().getSpec();
        var c = pod.getContainers().get(0);
        assertEquals("123456789012.dkr.ecr.us-west-2.amazonaws.com/tiny-bert-qa:v15-" + processor, c.getImage());
        assertEquals(ProcessorDefaults.INSTANCE_TYPE.get(processor), pod.getNodeSelector().get("node.kubernetes.io/instance-type"), "instance_type follows processor");
        assertEquals(processor.equals("graviton") ? "arm64" : null, pod.getNodeSelector().get("kubernetes.io/arch"));
        var limits = c.getResources().getLimits();
        switch (processor) {
            case "gpu" -> assertEquals("1", limits.get("nvidia.com/gpu").getAmount());
            case "inf1", "inf2" -> {
                assertEquals("1", limits.get("aws.amazon.com/neuron").getAmount());
                assertEquals(List.of("IPC_LOCK"), c.getSecurityContext().getCapabilities().getAdd());
            }
            default -> assertEquals("1", limits.get("cpu").getAmount());
        }
        assertEquals("/health/ready", c.getReadinessProbe().getHttpGet().getPath());
        assertEquals("/health/live", c.getLivenessProbe().getHttpGet().getPath());
        assertEquals(60, c.getStartupProbe().getFailureThreshold(), "startup probe covers deploy_timeout");
        assertTrue(pod.getSecurityContext().getRunAsNonRoot());
        assertEquals(Long.valueOf(5 + ServerEnv.DRAIN_SECONDS + 10), pod.getTerminationGracePeriodSeconds(), "drain delay, drain and a margin");
        assertEquals("16", c.getEnv().stream().filter(e -> e.getName().equals("NUM_MODELS")).findFirst().orElseThrow().getValue());
    }

    @Test
    void testJobsIdleClientsAndPrepullMatchTheirGoldenFiles() throws IOException {
        Manifests m = new Manifests(config(Map.of()));
        golden("test-bmk.yaml", Manifests.yaml(List.of(m.testClient(0, "bmk"))));
        golden("test-idle.yaml", Manifests.yaml(List.of(m.testClient(1, null))));
        golden("prepull.yaml", Manifests.yaml(List.of(m.prepull())));
        Job job = (Job) m.testClient(0, "bmk");
        assertEquals(4, job.getSpec().getBackoffLimit());
        assertEquals("Never", job.getSpec().getTemplate().getSpec().getRestartPolicy());
        assertEquals("c5.4xlarge", job.getSpec().getTemplate().getSpec().getNodeSelector().get("node.kubernetes.io/instance-type"));
        List<String> args = job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
        assertEquals("bmk", args.get(0));
        assertTrue(args.contains("http://tiny-bert-qa-cpu-1.mpi.svc.cluster.local:8080"), args.toString());
        assertEquals("0", args.get(args.indexOf("--max-error-rate") + 1), "bmk_max_error_rate reaches the client");
        var rule = job.getSpec().getPodFailurePolicy().getRules().get(0);
        assertEquals("FailJob", rule.getAction(), "a failed test is not retried");
        assertEquals(List.of(1, 2), rule.getOnExitCodes().getValues());
    }

    static Job finished(Job job, String condition) {
        job.setStatus(new io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder().addNewCondition().withType(condition)
                .withStatus("True").endCondition().build());
        return job;
    }

    @Test
    void aJobsOutcomeIsReadFromItsConditions() {
        Job job = (Job) new Manifests(config(Map.of())).testClient(0, "bmk");
        assertEquals(null, TestJobs.outcome(job), "no status yet: running");
        assertEquals(Boolean.TRUE, TestJobs.outcome(finished(job, "Complete")));
        assertEquals(Boolean.FALSE, TestJobs.outcome(finished(job, "Failed")));
    }

    @Test
    void testRunWaitsForTheJobsAndNamesTheFailedClients() throws Exception {
        KubernetesRuntime k = new KubernetesRuntime(config(Map.of("test_namespace", "load")), () -> client, true);
        var run = java.util.concurrent.CompletableFuture.runAsync(() -> k.testRun("seq"));
        var jobs = client.batch().v1().jobs().inNamespace("load");
        while (jobs.list().getItems().size() < 3) {
            assertFalse(run.isDone(), "testRun ended before its jobs existed");
            Thread.sleep(100);
        }
        jobs.resource(finished(jobs.withName("test-tiny-bert-qa-0").get(), "Complete")).updateStatus();
        jobs.resource(finished(jobs.withName("test-tiny-bert-qa-2").get(), "Complete")).updateStatus();
        Thread.sleep(2500);
        assertFalse(run.isDone(), "client 1 still runs, so testRun still waits");
        jobs.resource(finished(jobs.withName("test-tiny-bert-qa-1").get(), "Failed")).updateStatus();
        var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> run.get(60, java.util.concurrent.TimeUnit.SECONDS));
        CliError error = org.junit.jupiter.api.Assertions.assertInstanceOf(CliError.class, e.getCause());
        assertEquals(CliError.FAILED, error.exitCode());
        assertEquals("1 of 3 test clients failed: test-tiny-bert-qa-1; see ./test.java logs --no-follow", error.getMessage());
    }

    @Test
    void manifestsCommandWritesYamlForAProcessorWithoutACluster() throws IOException {
        support.Scripts.project(dir.resolve("p"), Map.of("account", "123456789012"));
        var run = support.Scripts.run(dir.resolve("p"), "deploy.java", "manifests", "-Dprocessor=gpu", "-Dnum_servers=2");
        assertEquals(0, run.exitCode(), run::toString);
        Path app = dir.resolve("p/app-tiny-bert-qa-gpu-g4dn.xlarge");
        assertTrue(Files.isRegularFile(app.resolve("tiny-bert-qa-gpu-0.yaml")), run::toString);
        assertTrue(Files.readString(app.resolve("tiny-bert-qa-gpu-1.yaml")).contains("nvidia.com/gpu"));
        assertFalse(run.stderr().contains("[WARN] instance_type"), "g4dn.xlarge, the gpu default, serves gpu: " + run);
        var pinned = support.Scripts.run(dir.resolve("p"), "deploy.java", "manifests", "-Dprocessor=gpu", "-Dinstance_type=c7g.4xlarge");
        assertEquals(0, pinned.exitCode(), pinned::toString);
        assertTrue(pinned.stderr().contains("[WARN] instance_type=c7g.4xlarge has no NVIDIA GPU and is arm64"), pinned::toString);
    }

    @Test
    void runCreatesTheNamespaceAndServersOnceAndStopRemovesOnlyOurs() throws IOException {
        KubernetesRuntime k = runtime(Map.of());
        client.apps().deployments().inNamespace("default").resource(new DeploymentBuilder().withNewMetadata().withName("not-ours")
                .withNamespace("default").endMetadata().build()).create();
        k.deployRun();
        assertNotNull(client.namespaces().withName("mpi").get());
        assertEquals(List.of("tiny-bert-qa-cpu-0", "tiny-bert-qa-cpu-1"),
                client.apps().deployments().inNamespace("mpi").list().getItems().stream().map(d -> d.getMetadata().getName()).sorted().toList());
        assertEquals(2, client.services().inNamespace("mpi").list().getItems().size());
        assertTrue(Files.isRegularFile(dir.resolve("app-tiny-bert-qa-cpu-c5.4xlarge/tiny-bert-qa-cpu-1.yaml")));

        k.deployRun();
        assertEquals(2, client.apps().deployments().inNamespace("mpi").list().getItems().size(), "run twice: no duplicates");
        String all = printed(() -> k.deployStatus(null));
        String one = printed(() -> k.deployStatus(1));
        assertEquals("""
                No pods.
                SERVICE             TYPE       CLUSTER-IP  PORT
                tiny-bert-qa-cpu-0  ClusterIP  null        8080/TCP
                tiny-bert-qa-cpu-1  ClusterIP  null        8080/TCP
                """, all, "the mock runs no pods; the services are there");
        assertTrue(one.contains("tiny-bert-qa-cpu-1  ClusterIP") && !one.contains("tiny-bert-qa-cpu-0"), one);

        client.apps().deployments().inNamespace("mpi").resource(new DeploymentBuilder().withNewMetadata().withName("foreign")
                .withNamespace("mpi").endMetadata().build()).create();
        String stopped = printed(k::deployStop);
        assertEquals("Deleted the servers of tiny-bert-qa-cpu in namespace mpi.\n", stopped);
        assertEquals(List.of("foreign"), client.apps().deployments().inNamespace("mpi").list().getItems().stream()
                .map(d -> d.getMetadata().getName()).toList(), "stop deletes exactly what the project made");
        assertEquals(0, client.services().inNamespace("mpi").list().getItems().size());
        assertNotNull(client.apps().deployments().inNamespace("default").withName("not-ours").get());
        String again = printed(k::deployStop);
        assertEquals("No servers of tiny-bert-qa-cpu in namespace mpi; nothing to stop.\n", again);
    }

    /** What a runtime call prints through Console (stdout and stderr together). */
    static String printed(Runnable call) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.PrintStream capture = new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8);
        Console.redirect(capture, capture);
        try {
            call.run();
        } finally {
            Console.redirect(System.out, System.err);
        }
        return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void testRunCreatesOneJobPerClientAndStopDeletesThem() throws IOException {
        KubernetesRuntime k = runtime(Map.of("test_namespace", "load"));
        k.testRun("bmk");
        assertNotNull(client.namespaces().withName("load").get());
        List<Job> jobs = client.batch().v1().jobs().inNamespace("load").list().getItems();
        assertEquals(List.of("test-tiny-bert-qa-0", "test-tiny-bert-qa-1", "test-tiny-bert-qa-2"),
                jobs.stream().map(j -> j.getMetadata().getName()).sorted().toList());
        k.testRun("rnd");
        assertEquals(3, client.batch().v1().jobs().inNamespace("load").list().getItems().size(), "a new run replaces the old jobs");
        assertEquals("rnd", client.batch().v1().jobs().inNamespace("load").withName("test-tiny-bert-qa-0").get()
                .getSpec().getTemplate().getSpec().getContainers().get(0).getArgs().get(0));
        k.testRun(null);
        assertEquals(3, client.apps().deployments().inNamespace("load").list().getItems().size(), "idle clients are deployments");
        String clients = printed(() -> k.testStatus(null));
        String removed = printed(k::testStop);
        assertEquals("No test jobs in namespace load.\nNo pods.\n", clients, "idle clients are deployments; the mock runs no pods");
        assertEquals("Deleted the test clients.\n", removed);
        assertEquals(0, client.batch().v1().jobs().inNamespace("load").list().getItems().size());
        assertEquals(0, client.apps().deployments().inNamespace("load").list().getItems().size());
        assertTrue(Files.isRegularFile(dir.resolve("app-test-tiny-bert-qa-c5.4xlarge/test-tiny-bert-qa-2.yaml")));
    }

    @Test
    void logsPrintEachPodsLinesPrefixedWithItsNameAndSaySoWhenThereAreNoPods() throws IOException {
        KubernetesRuntime k = runtime(Map.of("namespace", "logs", "test_namespace", "test-logs"));
        assertEquals("No pods, so there are no logs.\n", printed(() -> k.deployLogs(null, false)));
        assertEquals("No pods, so there are no logs.\n", printed(() -> k.testLogs(null, false)));
        Map<String, String> labels = new Manifests(config(Map.of())).selector(Manifests.SERVER);
        for (String pod : List.of("tiny-bert-qa-cpu-0-abcde", "tiny-bert-qa-cpu-1-fghij")) {
            client.pods().inNamespace("logs").resource(new PodBuilder().withNewMetadata().withName(pod).withNamespace("logs")
                    .withLabels(labels).endMetadata().build()).create();
            server.expect().get().withPath("/api/v1/namespaces/logs/pods/" + pod + "/log")
                    .andReturn(200, "loading " + pod + "\nready\n").always();
        }
        int before = server.getRequestCount();
        assertEquals("""
                [tiny-bert-qa-cpu-0-abcde] loading tiny-bert-qa-cpu-0-abcde
                [tiny-bert-qa-cpu-0-abcde] ready
                [tiny-bert-qa-cpu-1-fghij] loading tiny-bert-qa-cpu-1-fghij
                [tiny-bert-qa-cpu-1-fghij] ready
                """, printed(() -> k.deployLogs(null, false)));
        assertEquals(3, server.getRequestCount() - before, "one list, then each log read as it stands: no wait for readiness (a list and a watch per pod)");
        // a pod gone between the list and its log read: the API's reason, on one line
        KubernetesRuntime elsewhere = runtime(Map.of("namespace", "gone"));
        client.pods().inNamespace("gone").resource(new PodBuilder().withNewMetadata().withName("tiny-bert-qa-cpu-0-abcde").withNamespace("gone")
                .withLabels(labels).endMetadata().build()).create();
        server.expect().get().withPath("/api/v1/namespaces/gone/pods/tiny-bert-qa-cpu-0-abcde/log")
                .andReturn(404, "{\"kind\":\"Status\",\"code\":404,\"message\":\"pods \\\"tiny-bert-qa-cpu-0-abcde\\\" not found\"}").always();
        CliError gone = assertThrows(CliError.class, () -> printed(() -> elsewhere.deployLogs(null, false)));
        assertEquals("reading logs of tiny-bert-qa-cpu-0-abcde failed: pods \"tiny-bert-qa-cpu-0-abcde\" not found", gone.getMessage());
    }

    @Test
    void prepullStartsTheDaemonSetTellsItsStateAndStopDeletesIt() throws IOException {
        Config config = config(Map.of("namespace", "prepull"));
        Prepull prepull = new Prepull(config, new KubeApi(config, () -> client));
        String name = new Manifests(config).prepull().getMetadata().getName();
        assertEquals("No pre-pull DaemonSet " + name + " in prepull.\n", printed(() -> prepull.run("status")));
        String started = printed(() -> prepull.run("start"));
        assertTrue(started.startsWith("   creating namespace prepull\nPre-pulling ") && started.endsWith("node (DaemonSet " + name + ").\n"), started);
        assertNotNull(client.apps().daemonSets().inNamespace("prepull").withName(name).get());
        assertTrue(Files.isRegularFile(dir.resolve("app-tiny-bert-qa-cpu-c5.4xlarge/" + name + ".yaml")));
        assertEquals("Deleted the pre-pull DaemonSet " + name + ".\n", printed(() -> prepull.run("stop")));
        assertEquals(null, client.apps().daemonSets().inNamespace("prepull").withName(name).get());
        CliError bad = assertThrows(CliError.class, () -> prepull.run("begin"));
        assertEquals("prepull takes start, status or stop, not 'begin'", bad.getMessage());
    }

    @Test
    void onlyFinishedClientPodsAreReadForBma() throws IOException {
        KubernetesRuntime k = runtime(Map.of());
        client.pods().inNamespace("mpi").resource(new PodBuilder().withNewMetadata().withName("test-tiny-bert-qa-0-abcde").withNamespace("mpi")
                .withLabels(new Manifests(config(Map.of())).selector(Manifests.TEST_CLIENT)).endMetadata()
                .withNewStatus().withPhase("Running").endStatus().build()).create();
        assertEquals(Map.of(), k.finishedTestOutputs(), "a running client is not read");
    }

    static Pod clientPod(String name, String client, String phase) {
        return new PodBuilder().withNewMetadata().withName(name).withLabels(Map.of(Manifests.APP, client)).endMetadata()
                .withNewStatus().withPhase(phase).endStatus().build();
    }

    @Test
    void aRetriedJobIsReadFromItsSucceededPod() {
        Map<String, String> chosen = TestJobs.finishedPods(List.of(
                clientPod("c0-a", "c0", "Succeeded"), clientPod("c0-b", "c0", "Failed"),
                clientPod("c1-a", "c1", "Failed"), clientPod("c1-b", "c1", "Succeeded"),
                clientPod("c2-a", "c2", "Failed"), clientPod("c3-a", "c3", "Running")));
        assertEquals(Map.of("c0", "c0-a", "c1", "c1-b", "c2", "c2-a"), chosen);
    }

    static Pod pod(String yaml) {
        return Serialization.unmarshal(yaml, Pod.class);
    }

    @Test
    void podHealthTellsWaitingFromFailedWithTheReason() {
        PodHealth pull = PodHealth.of(pod("status:\n  phase: Pending\n  containerStatuses:\n  - name: main\n    state:\n      waiting:\n"
                + "        reason: ImagePullBackOff\n        message: Back-off pulling image \"x\"\n"));
        assertEquals(PodHealth.State.FAILED, pull.state());
        assertEquals("ImagePullBackOff: Back-off pulling image \"x\"", pull.reason());
        assertEquals(PodHealth.State.FAILED, PodHealth.of(pod("status:\n  containerStatuses:\n  - name: main\n    restartCount: 4\n    state:\n"
                + "      waiting:\n        reason: CrashLoopBackOff\n")).state());
        PodHealth unschedulable = PodHealth.of(pod("status:\n  phase: Pending\n  conditions:\n  - type: PodScheduled\n    status: \"False\"\n"
                + "    reason: Unschedulable\n    message: '0/3 nodes are available: 3 Insufficient aws.amazon.com/neuron.'\n"));
        assertEquals(PodHealth.State.WAITING, unschedulable.state());
        assertEquals("Pending: Unschedulable: 0/3 nodes are available: 3 Insufficient aws.amazon.com/neuron.", unschedulable.reason());
        assertEquals(PodHealth.State.WAITING, PodHealth.of(pod("status:\n  containerStatuses:\n  - name: main\n    state:\n      waiting:\n"
                + "        reason: ContainerCreating\n")).state());
        assertEquals(PodHealth.State.READY, PodHealth.of(pod("status:\n  phase: Running\n  conditions:\n  - type: Ready\n    status: \"True\"\n")).state());
        assertEquals(PodHealth.State.WAITING, PodHealth.of(pod("status:\n  phase: Running\n  conditions:\n  - type: Ready\n    status: \"False\"\n")).state());
        assertEquals(4, PodHealth.restarts(pod("status:\n  containerStatuses:\n  - name: main\n    restartCount: 4\n")));
    }

    @Test
    void anUnreachableClusterIsOneLineNamingTheContext() throws IOException {
        KubernetesClient nowhere = new KubernetesClientBuilder().withConfig(new io.fabric8.kubernetes.client.ConfigBuilder()
                .withMasterUrl("https://127.0.0.1:1").withRequestRetryBackoffLimit(0).withConnectionTimeout(2000).build()).build();
        KubernetesRuntime k = new KubernetesRuntime(config(Map.of()), () -> nowhere, false);
        CliError e = assertThrows(CliError.class, k::deployRun);
        assertEquals(CliError.FAILED, e.exitCode());
        assertTrue(e.getMessage().startsWith("cannot reach the Kubernetes API of the current kube context (checking namespace mpi): "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void aForbiddenNamespaceIsOneLine() throws IOException {
        server.expect().get().withPath("/api/v1/namespaces/locked").andReturn(403, "{\"kind\":\"Status\",\"code\":403,\"message\":\"namespaces \\\"locked\\\" is forbidden\"}").always();
        CliError e = assertThrows(CliError.class, () -> runtime(Map.of("namespace", "locked")).deployRun());
        assertTrue(e.getMessage().startsWith("checking namespace locked: forbidden by the cluster (the current kube context)"), e.getMessage());
    }
}
