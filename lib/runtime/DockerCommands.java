package lib.runtime;

//SOURCES ../config/Config.java DockerRuntime.java ../config/Names.java ServerEnv.java LoadClientArgs.java

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import lib.config.Config;
import lib.config.Names;

/**
 * The container CLI's command lines that runtime=docker runs, built without running anything:
 * docker run for servers and test clients, and the labels that mark and find what it started.
 */
public final class DockerCommands {
    private final Config config;
    private final Names names;
    private final String cli;

    public DockerCommands(Config config) {
        this.config = config;
        this.names = new Names(config);
        this.cli = config.get("container_cli");
    }

    /** --label arguments that mark a container or network as the project's (Names.labels). */
    List<String> labels(String component) {
        List<String> args = new ArrayList<>();
        new TreeMap<>(names.labels(component)).forEach((k, v) -> args.addAll(List.of("--label", k + "=" + v)));
        return args;
    }

    /** docker run for server i published on hostPort. */
    public List<String> serverRun(int index, int hostPort) {
        List<String> argv = new ArrayList<>(List.of(cli, "run", "-d", "--name", names.server(index),
                "--network", names.network(), "-p", hostPort + ":" + ServerEnv.CONTAINER_PORT));
        argv.addAll(labels(DockerRuntime.SERVER));
        argv.addAll(processorArgs());
        ServerEnv.env(config, index, ServerEnv.CONTAINER_PORT, ServerEnv.IMAGE_MODEL_DIR).forEach((k, v) -> argv.addAll(List.of("-e", k + "=" + v)));
        argv.addAll(storeCredentials());
        argv.add(names.modelImage());
        return argv;
    }

    /**
     * With an S3 model store: the caller's AWS variables by name only (`-e NAME`: the CLI copies the
     * value from its own environment, so no secret is in the command line or its echo), and the
     * caller's ~/.aws read-only for profiles.
     */
    List<String> storeCredentials() {
        if (!config.get("model_store").strip().startsWith("s3://")) {
            return List.of();
        }
        List<String> args = new ArrayList<>();
        for (String name : ServerEnv.AWS_ENV) {
            if (System.getenv(name) != null) {
                args.addAll(List.of("-e", name));
            }
        }
        java.nio.file.Path aws = java.nio.file.Path.of(System.getProperty("user.home"), ".aws");
        if (java.nio.file.Files.isDirectory(aws)) {
            args.addAll(List.of("-v", aws + ":/home/app/.aws:ro"));
        }
        return args;
    }

    /** GPUs for gpu servers, the Neuron devices for inf1/inf2 servers, as the original ran them. */
    List<String> processorArgs() {
        String processor = config.processor();
        if (processor.equals("gpu")) {
            return List.of("--gpus", "all");
        }
        if (processor.startsWith("inf")) {
            return List.of("-e", "AWS_NEURON_VISIBLE_DEVICES=ALL", "--cap-add", "IPC_LOCK", "--privileged");
        }
        return List.of();
    }

    /** docker run for test client i running test (null: idle). */
    public List<String> clientRun(int index, String test) {
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < config.getInt("num_servers"); i++) {
            urls.add("http://" + names.server(i) + ":" + ServerEnv.CONTAINER_PORT);
        }
        List<String> argv = new ArrayList<>(List.of(cli, "run", "-d", "--name", names.testClient(index), "--network", names.network()));
        argv.addAll(labels(DockerRuntime.CLIENT));
        argv.addAll(List.of("--label", "jdo-inference/test=" + (test == null ? "idle" : test)));
        argv.add(names.testImage());
        argv.addAll(LoadClientArgs.args(config, test, urls, names.testClient(index), null));
        return argv;
    }

    /** docker ps filters that select our containers of one component. */
    List<String> filters(String component) {
        List<String> args = new ArrayList<>();
        new TreeMap<>(names.labels(component)).forEach((k, v) -> args.addAll(List.of("--filter", "label=" + k + "=" + v)));
        return args;
    }
}
