package lib.config;

//SOURCES ConfigKey.java Precision.java

import static lib.config.ConfigKey.bool;
import static lib.config.ConfigKey.choice;
import static lib.config.ConfigKey.count;
import static lib.config.ConfigKey.decimal;
import static lib.config.ConfigKey.integer;
import static lib.config.ConfigKey.optionalText;
import static lib.config.ConfigKey.port;
import static lib.config.ConfigKey.text;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every key config.properties may hold. The defaults equal the shipped config.properties (a test
 * keeps the two in step); they apply when a user's file lacks a key, e.g. a file from the original.
 */
public final class ConfigKeys {
    public static final List<String> PROCESSORS = List.of("cpu", "gpu", "graviton", "inf1", "inf2");
    public static final List<String> RUNTIMES = List.of("local", "docker", "kubernetes");

    private static final Map<String, ConfigKey> KEYS = new LinkedHashMap<>();

    static {
        add(bool("verbose", "true", "print each external command before running it"));
        add(choice("runtime", "local", RUNTIMES, "where servers and test clients run"));
        add(choice("container_cli", "docker", List.of("docker", "podman"), "Docker-compatible CLI"));

        add(text("model_source", "bundled", "bundled | hf | hf:<model id> | path to a .pt file or folder"));
        add(text("huggingface_model_name", "tiny-bert-qa", "model id on the Hugging Face hub; names files, images, servers"));
        add(text("huggingface_tokenizer_class", "BertTokenizer", "tokenizer class used by the Python tracer"));
        add(text("huggingface_model_class", "BertForQuestionAnswering", "model class used by the Python tracer"));

        add(choice("processor", "cpu", PROCESSORS, "target processor"));
        add(integer("pipeline_cores", "1", "Neuron cores per model (inf1)"));
        add(integer("sequence_length", "128", "traced input length in tokens"));
        add(integer("batch_size", "1", "traced batch size"));
        add(bool("test", "True", "run the traced model once after tracing and print the answer"));
        // precision: trace converts the fp32 model (bundled, local: models/convert.py; hf: models/tracer.py);
        // with test=True a bf16/int8 model must answer models/questions.json like fp32 does
        add(choice("precision", "fp32", Precision.ALL, "model precision: fp32 | bf16 (bfloat16) | int8 (quantized Linear layers) | fp16 (gpu)"));
        add(decimal("precision_min_agreement", "99", "test=True, bf16/int8: least % of answers equal to fp32's"));
        add(choice("precision_check", "fail", List.of("fail", "warn"), "below precision_min_agreement: fail | warn"));
        for (String p : PROCESSORS) {
            add(optionalText("trace_opts_" + p, ConfigKeys.traceOptsDefault(p), "container-run options when tracing on " + p));
        }
        add(optionalText("neuron_library_path", "/opt/neuron/lib", "folder of the Neuron runtime library on inf1/inf2"));

        add(optionalText("account", "", "AWS account id; empty = derived from AWS STS when a step needs it"));
        add(text("region", "us-west-2", "AWS region"));
        add(text("stack_name", "ManagementInstance", "CloudFormation stack that provision creates and remove deletes"));
        add(text("cluster_name", "eks-inference-workshop", "EKS cluster that provision creates"));
        add(text("node_type_cpu", "c5.4xlarge", "instance type of the EKS cpu node group"));
        add(text("node_type_graviton", "c7g.4xlarge", "instance type of the EKS graviton node group"));
        add(text("node_type_inf", "inf2.xlarge", "instance type of the EKS inferentia node group"));
        add(optionalText("key_pair", "", "EC2 key pair for SSH to the management instance; empty = Session Manager only"));

        add(optionalText("registry", "${account}.dkr.ecr.${region}.amazonaws.com/", "image registry prefix ending in /"));
        add(choice("registry_type", "ecr", List.of("ecr", "other"), "registry kind: ecr logs in and creates repositories"));
        add(text("base_image_name", "aws-do-inference-base", "base image name"));
        add(text("base_image_tag", ":v15-${processor}", "base image tag, with its leading :"));
        add(text("model_image_name", "${huggingface_model_name}", "model server image name"));
        add(text("model_image_tag", ":v15-${processor}", "model server image tag, with its leading :"));
        add(text("base_image_from", "eclipse-temurin:21-jre-jammy", "FROM image of the base image"));

        add(integer("num_models", "16", "model copies per server"));
        // more distinct models in each server, each traced and packed like the first (docs/many-models.md)
        add(optionalText("extra_models", "", "more distinct models per server: name=source[*copies],... (source as model_source)"));
        add(optionalText("model_memory_budget", "", "model weights a server keeps in memory (2Gi, or 60% of its memory limit); "
                + "empty = all loaded at start"));
        add(optionalText("pinned_models", "", "models loaded at start and never unloaded; empty = all without a budget, none with one"));
        add(bool("quiet", "False", "the server does not log each request"));
        add(bool("postprocess", "True", "answer text (True) or raw start logits (False)"));
        add(port("service_port", "8080", "port of each model service"));
        add(integer("num_servers", "2", "number of model servers (the original's default is 1)"));
        add(count("predictors_per_model", "0", "predictors per model copy; 0 = enough to keep the cores busy"));
        add(integer("max_batch_size", "4", "most requests one forward takes (dynamic batching)"));
        add(count("max_batch_delay_ms", "0", "most ms a batch waits for more requests after its oldest"));
        add(integer("max_queue", "32", "requests queued per model copy before 503"));
        add(integer("max_request_bytes", "1048576", "largest request body in bytes (413 above it)"));
        add(count("request_timeout_ms", "0", "longest ms a request waits for its answer (504); 0 = no limit"));
        add(count("sequence_bucket", "16", "pad batches to their longest request in steps of this many tokens; 0 = sequence_length"));
        add(count("drain_delay", "5", "seconds a server keeps serving after SIGTERM with readiness off"));
        add(integer("deploy_timeout", "300", "seconds to wait for servers to become ready"));

        add(optionalText("instance_type", "", "Kubernetes node type of the servers; empty = the processor's (see ProcessorDefaults)"));
        add(text("namespace", "mpi", "Kubernetes namespace of the servers"));
        add(text("app_name", "${huggingface_model_name}-${processor}", "server name prefix"));
        add(text("app_dir", "app-${app_name}-${instance_type}", "folder of the generated server manifests"));
        add(optionalText("kube_context", "", "kube context; empty = current context"));
        add(text("cpu_limit", "1", "CPU limit of a cpu/graviton server container"));
        add(text("cpu_request", "1", "CPU request of a server container"));
        add(text("memory_request", "auto", "memory request of a server container; auto = from the model's size"));
        add(text("memory_limit", "auto", "memory limit of a server container; auto = 1.5x the request"));
        add(choice("image_pull_policy", "Always", List.of("Always", "IfNotPresent", "Never"), "image pull policy"));

        add(text("test_image_name", "test-${huggingface_model_name}", "load-test image name"));
        add(text("test_image_tag", ":v15-cpu", "load-test image tag, with its leading :"));
        add(decimal("request_frequency", "0.01", "seconds between requests in seq and rnd tests"));
        add(integer("num_requests", "30", "requests sent by the rnd test"));
        add(integer("num_test_containers", "5", "number of load-test clients"));
        add(text("test_instance_type", "c5.4xlarge", "Kubernetes node type of the test pods"));
        add(text("test_namespace", "mpi", "Kubernetes namespace of the test pods"));
        add(text("test_dir", "app-${test_image_name}-${instance_type}", "folder of the generated test manifests"));
        add(integer("bmk_threads", "2", "bmk worker threads per client"));
        add(integer("bmk_duration", "180", "bmk measured seconds"));
        add(integer("bmk_interval", "10", "bmk seconds between progress lines"));
        add(count("bmk_warmup", "5", "bmk warm-up seconds, not counted"));
        add(decimal("bmk_rate", "0", "bmk requests per second per client (open loop); 0 = closed loop"));
        add(bool("bmk_post", "False", "bmk sends POST requests with a JSON body"));
        // seq, rnd and bmk clients exit 1 (and test run fails) when none succeeded or more than this share failed
        add(decimal("bmk_max_error_rate", "0", "share of failed requests (0 to 1) above which a seq, rnd or bmk client fails"));
    }

    private ConfigKeys() {
    }

    private static void add(ConfigKey key) {
        KEYS.put(key.name(), key);
    }

    private static String traceOptsDefault(String processor) {
        return switch (processor) {
            case "gpu" -> "--gpus 0";
            case "inf1", "inf2" -> "-e AWS_NEURON_VISIBLE_DEVICES=ALL --privileged";
            default -> "";
        };
    }

    public static Optional<ConfigKey> find(String name) {
        return Optional.ofNullable(KEYS.get(name));
    }

    public static Map<String, ConfigKey> all() {
        return KEYS;
    }

    /** The known key closest to a misspelled one, for "did you mean" hints. */
    public static Optional<String> nearest(String name) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : KEYS.keySet()) {
            int d = distance(name.toLowerCase(), candidate);
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        return bestDistance <= Math.max(2, name.length() / 3) ? Optional.of(best) : Optional.empty();
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }
}
