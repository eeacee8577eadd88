package lib.runtime;

//SOURCES ../cli/CliError.java ../config/Config.java ../cli/Console.java KubeApi.java Manifests.java ../config/Names.java Orchestrator.java PodHealth.java ServingRuntime.java TestJobs.java

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import lib.cli.CliError;
import lib.cli.Console;
import lib.config.Config;
import lib.config.Names;

/**
 * runtime=kubernetes through the fabric8 client (no kubectl, envsubst, kubetail or bc): servers as
 * Deployments and Services from {@link Manifests}, test clients as Jobs, everything labelled so
 * that stop removes exactly what the project made. The kube context comes from kube_context and
 * the standard kubeconfig.
 */
public final class KubernetesRuntime implements ServingRuntime {
    static final String FIELD_MANAGER = "jdo-inference";

    private final Config config;
    private final Manifests manifests;
    private final Names names;
    private final KubeApi api;
    private final boolean waitForRollout;

    public KubernetesRuntime(Config config) {
        this(config, () -> KubeApi.connect(config), true);
    }

    /** With a given client (the tests' mock API server), and optionally without waiting (rollout, test Jobs). */
    KubernetesRuntime(Config config, Supplier<KubernetesClient> clients, boolean waitForRollout) {
        this.config = config;
        this.manifests = new Manifests(config);
        this.names = new Names(config);
        this.api = new KubeApi(config, clients);
        this.waitForRollout = waitForRollout;
    }

    private KubernetesClient client() {
        return api.client();
    }

    private <T> T api(String what, Supplier<T> call) {
        return api.call(what, call);
    }

    private void ensureNamespace(String namespace) {
        api.ensureNamespace(namespace);
    }

    private void apply(HasMetadata object) {
        api.apply(object);
    }

    // ---------------------------------------------------------------- deploy

    /** `deploy.java manifests`: writes the server manifests into app_dir without a cluster. */
    public List<Path> writeServerManifests() {
        return Manifests.write(names.appDir(), manifests.servers());
    }

    @Override
    public void deployRun() {
        String namespace = manifests.namespace();
        List<Path> files = writeServerManifests();
        Console.step("Deploying %d server%s to namespace %s (%s) ...", files.size(), files.size() == 1 ? "" : "s", namespace, api.contextName());
        files.forEach(f -> Console.info("manifest %s", f));
        ensureNamespace(namespace);
        for (List<HasMetadata> objects : manifests.servers().values()) {
            objects.forEach(this::apply);
        }
        if (waitForRollout) {
            awaitRollout(Duration.ofSeconds(config.getInt("deploy_timeout")));
        }
    }

    private List<Pod> pods(String namespace, Map<String, String> labels) {
        return api("listing pods in " + namespace, () -> client().pods().inNamespace(namespace).withLabels(labels).list().getItems());
    }

    /** Waits until every server has a ready pod, failing at once on a pod that cannot recover. */
    private void awaitRollout(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int count = config.getInt("num_servers");
        String last = "";
        while (true) {
            int ready = 0;
            List<String> waiting = new ArrayList<>();
            // one list call per poll, whatever num_servers is
            Map<String, Pod> byServer = new java.util.HashMap<>();
            for (Pod p : pods(manifests.namespace(), manifests.selector(Manifests.SERVER))) {
                byServer.putIfAbsent(p.getMetadata().getLabels().get(Manifests.APP), p);
            }
            for (int i = 0; i < count; i++) {
                String name = manifests.serverName(i);
                Pod pod = byServer.get(name);
                PodHealth health = pod == null ? new PodHealth(PodHealth.State.WAITING, "no pod yet") : PodHealth.of(pod);
                switch (health.state()) {
                    case READY -> ready++;
                    case FAILED -> throw CliError.failed(name + " cannot start: " + health.reason()
                            + " (see ./deploy.java status " + i + " and ./deploy.java logs " + i + ")");
                    default -> waiting.add(name + ": " + health.reason());
                }
            }
            String line = ready + "/" + count + " ready" + (waiting.isEmpty() ? "" : "; " + String.join("; ", waiting));
            if (!line.equals(last)) {
                Console.progress("%s", line);
                last = line;
            }
            if (ready == count) {
                Console.progressDone();
                Console.step("All %d servers are ready.", count);
                return;
            }
            if (System.nanoTime() > deadline) {
                Console.progressDone();
                throw CliError.failed("not ready after " + timeout.toSeconds() + " s (deploy_timeout): " + String.join("; ", waiting));
            }
            sleep(2000);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliError.failed("interrupted");
        }
    }

    @Override
    public void deployStatus(Integer server) {
        String ns = manifests.namespace();
        Map<String, String> labels = serverLabels(server);
        podTable(pods(ns, labels));
        List<Service> services = api("listing services in " + ns, () -> client().services().inNamespace(ns).withLabels(labels).list().getItems());
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("SERVICE", "TYPE", "CLUSTER-IP", "PORT"));
        for (Service s : services) {
            rows.add(List.of(s.getMetadata().getName(), String.valueOf(s.getSpec().getType()), String.valueOf(s.getSpec().getClusterIP()),
                    s.getSpec().getPorts().isEmpty() ? "-" : s.getSpec().getPorts().get(0).getPort() + "/TCP"));
        }
        if (services.isEmpty()) {
            Console.step("No services of %s in namespace %s.", config.get("app_name"), ns);
        } else {
            Console.table(rows);
        }
    }

    private void podTable(List<Pod> pods) {
        if (pods.isEmpty()) {
            Console.step("No pods.");
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("POD", "READY", "PHASE", "RESTARTS", "NODE", "IP", "STATUS"));
        for (Pod p : pods) {
            PodHealth h = PodHealth.of(p);
            var status = p.getStatus();
            rows.add(List.of(p.getMetadata().getName(), h.state() == PodHealth.State.READY ? "yes" : "no",
                    status == null ? "-" : String.valueOf(status.getPhase()), Integer.toString(PodHealth.restarts(p)),
                    String.valueOf(p.getSpec() == null ? "-" : p.getSpec().getNodeName()),
                    status == null ? "-" : String.valueOf(status.getPodIP()), h.reason()));
        }
        Console.table(rows);
    }

    @Override
    public void deployLogs(Integer server, boolean follow) {
        logs(manifests.namespace(), serverLabels(server), follow);
    }

    /** Logs of the pods, prefixed with the pod's name when there are several; followed until Ctrl-C. */
    private void logs(String namespace, Map<String, String> labels, boolean follow) {
        List<Pod> pods = pods(namespace, labels);
        if (pods.isEmpty()) {
            Console.step("No pods, so there are no logs.");
            return;
        }
        boolean prefix = pods.size() > 1;
        if (!follow) {
            for (Pod p : pods) {
                String name = p.getMetadata().getName();
                String log = api.podLog(namespace, name);
                log.lines().forEach(l -> Console.logLine(name, prefix, l));
            }
            return;
        }
        Map<String, LogWatch> watches = new LinkedHashMap<>();
        try {
            for (Pod p : pods) {
                String name = p.getMetadata().getName();
                watches.put(name, api("following logs of " + name, () -> client().pods().inNamespace(namespace).withName(name).watchLog()));
            }
            Map<String, java.io.InputStream> streams = new LinkedHashMap<>();
            watches.forEach((name, watch) -> streams.put(name, watch.getOutput()));
            Console.interleave(streams, line -> true);
        } finally {
            watches.values().forEach(LogWatch::close);
        }
    }

    @Override
    public void deployExec(int server) {
        exec(manifests.namespace(), serverLabels(server));
    }

    /** An interactive shell in the pod, stdin and stdout wired to this terminal. */
    private void exec(String namespace, Map<String, String> labels) {
        List<Pod> pods = pods(namespace, labels);
        if (pods.isEmpty()) {
            throw CliError.failed("no pod found in " + namespace + " for " + labels.get(Manifests.APP));
        }
        String pod = pods.get(0).getMetadata().getName();
        Console.step("Opening a shell in pod %s (exit to leave) ...", pod);
        try (ExecWatch watch = api("exec into " + pod, () -> client().pods().inNamespace(namespace).withName(pod)
                .redirectingInput().writingOutput(Console.stdout()).writingError(Console.stderr()).withTTY().exec("sh", "-c", "command -v bash >/dev/null && exec bash || exec sh"))) {
            Thread pump = Thread.ofPlatform().daemon().start(() -> {
                try {
                    System.in.transferTo(watch.getInput());
                } catch (java.io.IOException ignored) {
                    // the shell ended
                }
            });
            watch.exitCode().join();
            pump.interrupt();
        }
    }

    @Override
    public void deployStop() {
        String ns = manifests.namespace();
        Map<String, String> labels = manifests.selector(Manifests.SERVER);
        int removed = api("deleting servers in " + ns, () ->
                client().apps().deployments().inNamespace(ns).withLabels(labels).delete().size()
                        + client().services().inNamespace(ns).withLabels(labels).delete().size());
        Console.step(removed == 0 ? "No servers of %s in namespace %s; nothing to stop." : "Deleted the servers of %s in namespace %s.",
                config.get("app_name"), ns);
    }

    // ---------------------------------------------------------------- test

    @Override
    public void testRun(String test) {
        String ns = manifests.testNamespace();
        Map<String, List<HasMetadata>> files = manifests.testClients(test);
        Manifests.write(names.testDir(), files);
        ensureNamespace(ns);
        removeTestClients(ns);
        for (List<HasMetadata> objects : files.values()) {
            objects.forEach(o -> api("creating " + o.getKind() + " " + o.getMetadata().getName(), () -> client().resource(o).create()));
        }
        Console.step("Created %d test client%s (%s) in namespace %s; follow with ./test.java logs%s", files.size(),
                files.size() == 1 ? "" : "s", test == null ? "idle" : test, ns,
                "bmk".equals(test) ? ", then aggregate with ./test.java run bma" : "");
        if (test != null && waitForRollout) {
            awaitTestClients(ns, test);
        }
    }

    /** Waits for every test Job to end, then fails naming the clients whose Job failed (exit codes as the other runtimes). */
    private void awaitTestClients(String ns, String test) {
        int count = config.getInt("num_test_containers");
        long seconds = config.getInt("deploy_timeout") + 120L
                + ("bmk".equals(test) ? config.getInt("bmk_warmup") + config.getInt("bmk_duration") : 0);
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        String last = "";
        while (true) {
            Map<String, Boolean> ended = new TreeMap<>();
            for (var job : api("listing jobs in " + ns, () -> client().batch().v1().jobs().inNamespace(ns)
                    .withLabels(manifests.selector(Manifests.TEST_CLIENT)).list().getItems())) {
                Boolean ok = TestJobs.outcome(job);
                if (ok != null) {
                    ended.put(job.getMetadata().getName(), ok);
                }
            }
            String line = ended.size() + "/" + count + " test clients finished";
            if (!line.equals(last)) {
                Console.progress("%s", line);
                last = line;
            }
            if (ended.size() >= count) {
                Console.progressDone();
                Map<String, Integer> exits = new LinkedHashMap<>();
                ended.forEach((name, ok) -> exits.put(name, ok ? 0 : -1));
                Orchestrator.finishTest(test, exits);
                return;
            }
            if (System.nanoTime() > deadline) {
                Console.progressDone();
                throw CliError.failed("test clients not finished after " + seconds + " s: " + line + "; see ./test.java status");
            }
            sleep(2000);
        }
    }

    private int removeTestClients(String ns) {
        Map<String, String> labels = manifests.selector(Manifests.TEST_CLIENT);
        return api("deleting test clients in " + ns, () ->
                client().batch().v1().jobs().inNamespace(ns).withLabels(labels).withPropagationPolicy(
                        io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND).delete().size()
                        + client().apps().deployments().inNamespace(ns).withLabels(labels).delete().size());
    }

    /** All servers' labels, or server i's. */
    private Map<String, String> serverLabels(Integer server) {
        return server == null ? manifests.selector(Manifests.SERVER) : Map.of(Manifests.APP, manifests.serverName(server));
    }

    /** All test clients' labels, or client i's. */
    private Map<String, String> clientLabels(Integer client) {
        return client == null ? manifests.selector(Manifests.TEST_CLIENT) : Map.of(Manifests.APP, manifests.clientName(client));
    }

    @Override
    public void testStatus(Integer client) {
        String ns = manifests.testNamespace();
        var jobs = api("listing jobs", () -> client().batch().v1().jobs().inNamespace(ns).withLabels(clientLabels(client)).list().getItems());
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("JOB", "ACTIVE", "SUCCEEDED", "FAILED"));
        for (var j : jobs) {
            var s = j.getStatus();
            rows.add(List.of(j.getMetadata().getName(), s == null ? "0" : String.valueOf(nz(s.getActive())),
                    s == null ? "0" : String.valueOf(nz(s.getSucceeded())), s == null ? "0" : String.valueOf(nz(s.getFailed()))));
        }
        if (jobs.isEmpty()) {
            Console.step("No test jobs in namespace %s.", ns);
        } else {
            Console.table(rows);
        }
        podTable(pods(ns, clientLabels(client)));
    }

    private static int nz(Integer i) {
        return i == null ? 0 : i;
    }

    @Override
    public void testLogs(Integer client, boolean follow) {
        logs(manifests.testNamespace(), clientLabels(client), follow);
    }

    @Override
    public void testExec(int client) {
        exec(manifests.testNamespace(), clientLabels(client));
    }

    @Override
    public void testStop() {
        int removed = removeTestClients(manifests.testNamespace());
        Console.step(removed == 0 ? "No test clients; nothing to stop." : "Deleted the test clients.");
    }

    @Override
    public Map<String, String> finishedTestOutputs() {
        String ns = manifests.testNamespace();
        Map<String, String> outputs = new TreeMap<>();
        TestJobs.finishedPods(pods(ns, manifests.selector(Manifests.TEST_CLIENT))).forEach((client, pod) -> outputs.put(client,
                api.podLog(ns, pod)));
        return outputs;
    }
}
