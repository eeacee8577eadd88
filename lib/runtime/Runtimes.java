package lib.runtime;

//SOURCES ../cli/CliError.java ../config/Config.java DockerRuntime.java KubernetesRuntime.java LocalRuntime.java ServingRuntime.java

import lib.cli.CliError;
import lib.config.Config;

/** Picks the runtime named by the `runtime` key, and checks server and client indexes. */
public final class Runtimes {
    private Runtimes() {
    }

    public static ServingRuntime of(Config config) {
        return switch (config.runtime()) {
            case "local" -> new LocalRuntime(config);
            case "kubernetes" -> new KubernetesRuntime(config);
            case "docker" -> new DockerRuntime(config);
            default -> throw CliError.badInput("runtime=" + config.runtime() + " is not one of local, docker, kubernetes");
        };
    }

    /** Checks a 0-based server index against num_servers; null (all servers) passes. */
    public static Integer checkServer(Config config, Integer index) {
        return check(index, config.getInt("num_servers"), "server", "num_servers");
    }

    /** Checks a 0-based client index against num_test_containers; null (all clients) passes. */
    public static Integer checkClient(Config config, Integer index) {
        return check(index, config.getInt("num_test_containers"), "test client", "num_test_containers");
    }

    private static Integer check(Integer index, int count, String what, String key) {
        if (index != null && (index < 0 || index >= count)) {
            throw CliError.badInput(what + " index " + index + " is out of range: " + key + "=" + count
                    + ", so it must be 0" + (count > 1 ? " to " + (count - 1) : ""));
        }
        return index;
    }
}
