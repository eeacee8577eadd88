package lib.config;

//SOURCES Config.java Precision.java

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Every name derived from the configuration, in one place: servers, test clients, images, traced
 * files and folders, labels. Scripts and runtimes never build these strings themselves.
 */
public final class Names {
    /** Label that marks everything the project creates, so it can be found and removed. */
    public static final String MANAGED_BY = "jdo-inference";
    public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    public static final String PART_OF_LABEL = "app.kubernetes.io/part-of";
    public static final String COMPONENT_LABEL = "app.kubernetes.io/component";

    private final Config config;

    public Names(Config config) {
        this.config = config;
    }

    /** The model's name as files and images use it: a hub id such as org/name becomes org-name. */
    public String modelName() {
        return config.get("huggingface_model_name").replace('/', '-');
    }

    /** Server i is `<app_name>-<i>`, like the original's containers, deployments and services. */
    public String server(int index) {
        return config.get("app_name") + "-" + index;
    }

    /** Load-test client i is `<test_image_name>-<i>`. */
    public String testClient(int index) {
        return config.get("test_image_name") + "-" + index;
    }

    /**
     * The traced model file, named like the original: `<model>_bs<b>_seq<s>_pc<p>_<processor>.pt`,
     * with `_bf16` or `_int8` before `.pt` when precision is not fp32.
     */
    public String tracedModelFile() {
        return String.format("%s_bs%s_seq%s_pc%s_%s%s.pt", modelName(), config.get("batch_size"),
                config.get("sequence_length"), config.get("pipeline_cores"), config.processor(),
                Precision.suffix(config.get("precision")));
    }

    /** Folder the trace step writes: `trace-<model>`. */
    public Path traceDir() {
        return config.projectDir().resolve("trace-" + modelName());
    }

    public String baseImage() {
        return image("base_image_name", "base_image_tag");
    }

    public String modelImage() {
        return image("model_image_name", "model_image_tag");
    }

    public String testImage() {
        return image("test_image_name", "test_image_tag");
    }

    private String image(String nameKey, String tagKey) {
        return config.get("registry") + config.get(nameKey) + config.get(tagKey);
    }

    /** Folder where pack assembles what the model image holds (the local runtime serves from it). */
    public Path packDir() {
        String tag = config.get("model_image_tag").replaceFirst("^:", "");
        return config.projectDir().resolve("build").resolve(config.get("model_image_name").replace('/', '-') + "-" + tag);
    }

    /** Folder for state the runtimes keep between commands (pids, ports, results). */
    public Path stateDir() {
        return config.projectDir().resolve(".jdo");
    }

    /** Folder where test clients write their results. */
    public Path resultsDir() {
        return config.projectDir().resolve("results");
    }

    public Path appDir() {
        return config.projectDir().resolve(config.get("app_dir"));
    }

    public Path testDir() {
        return config.projectDir().resolve(config.get("test_dir"));
    }

    /** Docker network that servers and test clients share, so clients reach servers by name. */
    public String network() {
        return config.get("app_name") + "-net";
    }

    /** Labels put on every object the project creates. */
    public Map<String, String> labels(String component) {
        return Map.of(
                MANAGED_BY_LABEL, MANAGED_BY,
                PART_OF_LABEL, kubernetesName(config.get("app_name")),
                COMPONENT_LABEL, component);
    }

    /** A DNS-1123 label: lower case letters, digits and '-', at most 63 characters. */
    public static String kubernetesName(String name) {
        String n = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("-+", "-");
        n = n.replaceAll("^-|-$", "");
        return n.length() > 63 ? n.substring(0, 63).replaceAll("-$", "") : n;
    }
}
