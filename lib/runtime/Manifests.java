package lib.runtime;

//DEPS io.fabric8:kubernetes-client:7.9.0
//SOURCES ../store/StoreConfig.java ../config/ByteSize.java ../cli/CliError.java ../config/Config.java ../cli/Console.java ../image/ModelSet.java ../config/Names.java ServerEnv.java ServerMemory.java LoadClientArgs.java

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import lib.cli.CliError;
import lib.cli.Console;
import lib.config.Config;
import lib.config.Names;
import lib.image.ModelSet;

/**
 * The Kubernetes objects of the project, built as fabric8 model objects from the configuration:
 * per server a Service and a Deployment (as the original's templates, plus probes, requests, a
 * drain-sized grace period, a non-root security context and app.kubernetes.io labels), per test
 * client a Job (or an idle Deployment), and the image pre-pull DaemonSet. Written as YAML into
 * app_dir and test_dir, so users can read them and `kubectl apply` them.
 */
public final class Manifests {
    public static final String SERVER = "server";
    public static final String TEST_CLIENT = "test-client";
    public static final String PREPULL = "prepull";
    /** Label that ties pods to their server or client; Services and selectors use it. */
    public static final String APP = "app";
    static final long USER = 1000;

    private final Config config;
    private final Names names;

    public Manifests(Config config) {
        this.config = config;
        this.names = new Names(config);
    }

    public String namespace() {
        return config.get("namespace");
    }

    public String testNamespace() {
        return config.get("test_namespace");
    }

    public String serverName(int i) {
        return Names.kubernetesName(names.server(i));
    }

    public String clientName(int i) {
        return Names.kubernetesName(names.testClient(i));
    }

    private Map<String, String> labels(String component, String app) {
        Map<String, String> labels = new TreeMap<>(names.labels(component));
        labels.put(APP, app);
        return labels;
    }

    /** Labels that select everything of one component that this project made for this app. */
    public Map<String, String> selector(String component) {
        return new TreeMap<>(names.labels(component));
    }

    /** Server i: its Service and its Deployment. */
    public List<HasMetadata> server(int i) {
        String name = serverName(i);
        String processor = config.processor();
        Map<String, String> labels = labels(SERVER, name);

        Service service = new ServiceBuilder().withNewMetadata().withName(name).withNamespace(namespace()).withLabels(labels).endMetadata()
                .withNewSpec().withType("ClusterIP").withSelector(Map.of(APP, name))
                .addNewPort().withName("http").withPort(config.getInt("service_port"))
                .withTargetPort(new IntOrString(ServerEnv.CONTAINER_PORT)).withProtocol("TCP").endPort()
                .endSpec().build();

        Map<String, Quantity> requests = new TreeMap<>();
        Map<String, Quantity> limits = new TreeMap<>();
        requests.put("cpu", new Quantity(config.get("cpu_request")));
        String[] memory = memory();
        requests.put("memory", new Quantity(memory[0]));
        limits.put("memory", new Quantity(memory[1]));
        switch (processor) {
            case "gpu" -> {
                requests.put("nvidia.com/gpu", new Quantity("1"));
                limits.put("nvidia.com/gpu", new Quantity("1"));
            }
            case "inf1", "inf2" -> {
                requests.put("aws.amazon.com/neuron", new Quantity("1"));
                limits.put("aws.amazon.com/neuron", new Quantity("1"));
            }
            default -> limits.put("cpu", new Quantity(config.get("cpu_limit")));
        }
        SecurityContextBuilder security = new SecurityContextBuilder().withAllowPrivilegeEscalation(false)
                .withNewCapabilities().withDrop("ALL").endCapabilities();
        if (processor.startsWith("inf")) {
            // the Neuron runtime locks its memory, as the original's inf templates allowed
            security.editCapabilities().withAdd("IPC_LOCK").endCapabilities();
        }
        int startupChecks = Math.max(1, config.getInt("deploy_timeout") / 5);
        Map<String, String> podEnv = podEnv(i);
        ContainerBuilder withStore = new ContainerBuilder();
        if (podEnv.containsKey("MODEL_CACHE_DIR")) {
            withStore.addNewVolumeMount().withName(CACHE_VOLUME).withMountPath(podEnv.get("MODEL_CACHE_DIR")).endVolumeMount();
        }
        Container container = withStore.withName("main").withImage(names.modelImage())
                .withImagePullPolicy(config.get("image_pull_policy"))
                .withEnv(env(podEnv))
                .addNewPort().withName("http").withContainerPort(ServerEnv.CONTAINER_PORT).withProtocol("TCP").endPort()
                // kubelet probes and metrics scrapes get threads of their own, never queued behind predictions
                .addNewPort().withName("probes").withContainerPort(ServerEnv.CONTAINER_PROBE_PORT).withProtocol("TCP").endPort()
                .withNewResources().withRequests(requests).withLimits(limits).endResources()
                .withStartupProbe(probe(ServerEnv.READY_PATH, 5, startupChecks))
                .withReadinessProbe(probe(ServerEnv.READY_PATH, 5, 2))
                .withLivenessProbe(probe(ServerEnv.LIVE_PATH, 10, 3))
                .withSecurityContext(security.build())
                .build();
        Map<String, String> nodeSelector = new TreeMap<>();
        nodeSelector.put("node.kubernetes.io/instance-type", config.get("instance_type"));
        if (processor.equals("graviton")) {
            nodeSelector.put("kubernetes.io/arch", "arm64");
        }
        PodSpecBuilder podBuilder = new PodSpecBuilder();
        if (podEnv.containsKey("MODEL_STORE")) {
            // the store is read with the pod's own identity (EKS Pod Identity, docs/model-store.md)
            podBuilder.withServiceAccountName(STORE_SERVICE_ACCOUNT).addNewVolume().withName(CACHE_VOLUME)
                    .withNewEmptyDir().withSizeLimit(new Quantity(cacheSize())).endEmptyDir().endVolume();
        }
        PodSpec pod = podBuilder.withNodeSelector(nodeSelector).withContainers(container)
                .withTerminationGracePeriodSeconds((long) ServerEnv.stopSeconds(config))
                .withSecurityContext(new PodSecurityContextBuilder().withRunAsNonRoot(true).withRunAsUser(USER)
                        .withRunAsGroup(USER).withFsGroup(USER).build())
                .build();
        Deployment deployment = new DeploymentBuilder().withNewMetadata().withName(name).withNamespace(namespace()).withLabels(labels).endMetadata()
                .withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(Map.of(APP, name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata().withSpec(pod).endTemplate()
                .endSpec().build();
        return List.of(service, deployment);
    }

    private static Probe probe(String path, int period, int failures) {
        return new ProbeBuilder().withNewHttpGet().withPath(path).withPort(new IntOrString("probes")).endHttpGet()
                .withPeriodSeconds(period).withFailureThreshold(failures).withTimeoutSeconds(3).build();
    }

    private Map<String, String> podEnv(int index) {
        Map<String, String> env = new java.util.LinkedHashMap<>(ServerEnv.env(config, index, ServerEnv.CONTAINER_PORT, ServerEnv.IMAGE_MODEL_DIR));
        env.put("PROBE_PORT", Integer.toString(ServerEnv.CONTAINER_PROBE_PORT));
        return env;
    }

    private static List<EnvVar> env(Map<String, String> values) {
        List<EnvVar> env = new ArrayList<>();
        values.forEach((k, v) -> env.add(new EnvVar(k, v, null)));
        return env;
    }

    /** Servers as their Service DNS names, as the original's test pods addressed them. */
    public List<String> serverUrls() {
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < config.getInt("num_servers"); i++) {
            urls.add("http://" + serverName(i) + "." + namespace() + ".svc.cluster.local:" + config.get("service_port"));
        }
        return urls;
    }

    /** The original's test pod environment. */
    private Map<String, String> testEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        for (String key : List.of("runtime", "num_servers", "num_models", "app_name", "namespace", "num_requests", "request_frequency")) {
            env.put(key, config.get(key));
        }
        return env;
    }

    private PodSpec clientPod(String name, String test, String restartPolicy) {
        Container container = new ContainerBuilder().withName("main").withImage(names.testImage())
                .withImagePullPolicy(config.get("image_pull_policy"))
                .withArgs(LoadClientArgs.args(config, test, serverUrls(), name, null))
                .withEnv(env(testEnv()))
                .withSecurityContext(new SecurityContextBuilder().withAllowPrivilegeEscalation(false)
                        .withNewCapabilities().withDrop("ALL").endCapabilities().build())
                .build();
        return new PodSpecBuilder().withRestartPolicy(restartPolicy)
                .withNodeSelector(Map.of("node.kubernetes.io/instance-type", config.get("test_instance_type")))
                .withContainers(container)
                .withSecurityContext(new PodSecurityContextBuilder().withRunAsNonRoot(true).withRunAsUser(USER).build())
                .build();
    }

    /** Test client i: a Job running `test` (seq, rnd, bmk), or an idle Deployment when test is null. */
    public HasMetadata testClient(int i, String test) {
        String name = clientName(i);
        Map<String, String> labels = labels(TEST_CLIENT, name);
        if (test == null) {
            return new DeploymentBuilder().withNewMetadata().withName(name).withNamespace(testNamespace()).withLabels(labels).endMetadata()
                    .withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(Map.of(APP, name)).endSelector()
                    .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata().withSpec(clientPod(name, null, "Always")).endTemplate()
                    .endSpec().build();
        }
        Job job = new JobBuilder().withNewMetadata().withName(name).withNamespace(testNamespace()).withLabels(labels).endMetadata()
                .withNewSpec().withBackoffLimit(4)
                // a client that exits 1 (its test failed) or 2 (bad arguments) fails the Job: a retry would only repeat it
                .withNewPodFailurePolicy().addNewRule().withAction("FailJob").withNewOnExitCodes().withContainerName("main")
                .withOperator("In").withValues(1, 2).endOnExitCodes().endRule().endPodFailurePolicy()
                .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata().withSpec(clientPod(name, test, "Never")).endTemplate()
                .endSpec().build();
        return job;
    }

    /** Pulls the model image onto every node of instance_type ahead of a deploy (the original's prepull). */
    public DaemonSet prepull() {
        String name = Names.kubernetesName(config.get("app_name") + "-prepull");
        Map<String, String> labels = labels(PREPULL, name);
        return new DaemonSetBuilder().withNewMetadata().withName(name).withNamespace(namespace()).withLabels(labels).endMetadata()
                .withNewSpec().withNewSelector().withMatchLabels(Map.of(APP, name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec().withNodeSelector(Map.of("node.kubernetes.io/instance-type", config.get("instance_type")))
                .addNewContainer().withName("pull").withImage(names.modelImage()).withImagePullPolicy(config.get("image_pull_policy"))
                .withCommand("sleep", "infinity")
                .withNewResources().withRequests(new TreeMap<>(Map.of("cpu", new Quantity("10m"), "memory", new Quantity("16Mi")))).endResources()
                .endContainer().endSpec().endTemplate().endSpec().build();
    }

    /** The service account of servers that read a model store; provision associates it with the store's role. */
    public static final String STORE_SERVICE_ACCOUNT = lib.store.StoreConfig.SERVICE_ACCOUNT;
    static final String CACHE_VOLUME = "model-cache";

    /** model_cache_size as a Kubernetes quantity: as written when it uses Ki/Mi/Gi/Ti, else in bytes. */
    String cacheSize() {
        String v = config.get("model_cache_size").strip();
        return v.matches("\\d+(Ki|Mi|Gi|Ti)") ? v : Long.toString(lib.config.ByteSize.parse(v));
    }

    /** The service account the servers' pods read the model store with. */
    public ServiceAccount storeServiceAccount() {
        return new ServiceAccountBuilder().withNewMetadata().withName(STORE_SERVICE_ACCOUNT).withNamespace(namespace())
                .withLabels(new TreeMap<>(names.labels(SERVER))).endMetadata().build();
    }

    /** Every server's manifests, by file name; with a model store first the service account they read it with. */
    public Map<String, List<HasMetadata>> servers() {
        Map<String, List<HasMetadata>> files = new LinkedHashMap<>();
        if (!config.get("model_store").isBlank()) {
            files.put(STORE_SERVICE_ACCOUNT + ".yaml", List.of(storeServiceAccount()));
        }
        for (int i = 0; i < config.getInt("num_servers"); i++) {
            files.put(serverName(i) + ".yaml", server(i));
        }
        return files;
    }

    /** Every test client's manifest, by file name. */
    public Map<String, List<HasMetadata>> testClients(String test) {
        Map<String, List<HasMetadata>> files = new LinkedHashMap<>();
        for (int i = 0; i < config.getInt("num_test_containers"); i++) {
            files.put(clientName(i) + ".yaml", List.of(testClient(i, test)));
        }
        return files;
    }

    /** YAML documents, separated by ---, like a multi-document manifest file. */
    public static String yaml(List<HasMetadata> objects) {
        StringBuilder sb = new StringBuilder();
        for (HasMetadata o : objects) {
            String doc = Serialization.asYaml(o);
            sb.append(doc.startsWith("---") ? doc : "---\n" + doc);
        }
        return sb.toString();
    }

    /** Writes the files into `dir` (replacing what was there for the same names); returns their paths. */
    public static List<Path> write(Path dir, Map<String, List<HasMetadata>> files) {
        List<Path> written = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            for (Map.Entry<String, List<HasMetadata>> f : files.entrySet()) {
                Path file = dir.resolve(f.getKey());
                Files.writeString(file, yaml(f.getValue()));
                written.add(file);
            }
        } catch (IOException e) {
            throw CliError.failed("cannot write manifests to " + dir + ": " + e.getMessage());
        }
        return written;
    }

    /**
     * memory_request and memory_limit; "auto" follows from the traced models' sizes (see
     * ServerMemory.mib), or 2Gi and 4Gi before anything is traced.
     */
    String[] memory() {
        String request = config.get("memory_request");
        String limit = config.get("memory_limit");
        if (!request.equals("auto") && !limit.equals("auto")) {
            return new String[] {request, limit};
        }
        java.nio.file.Path model = names.traceDir().resolve(names.tracedModelFile());
        String[] auto;
        try {
            long extraBytes = 0;
            for (ModelSet.Extra extra : ModelSet.extras(config)) {
                Names n = new Names(ModelSet.configOf(config, extra));
                extraBytes += java.nio.file.Files.size(n.traceDir().resolve(n.tracedModelFile()));
            }
            long[] mib = ServerMemory.mib(config, java.nio.file.Files.size(model), extraBytes);
            auto = new String[] {mib[0] + "Mi", mib[1] + "Mi"};
        } catch (java.io.IOException e) {
            Console.warn("memory auto: no traced model %s yet, so a 2Gi request and a 4Gi limit", model);
            auto = new String[] {"2Gi", "4Gi"};
        }
        return new String[] {request.equals("auto") ? auto[0] : request, limit.equals("auto") ? auto[1] : limit};
    }
}
