package lib.runtime;

//SOURCES ../cli/CliError.java ../config/Config.java ../cli/Console.java KubeApi.java Manifests.java ../config/Names.java

import java.util.List;
import java.util.Map;
import lib.cli.CliError;
import lib.cli.Console;
import lib.config.Config;
import lib.config.Names;

/**
 * `deploy.java prepull start|status|stop` (runtime=kubernetes): a DaemonSet that pulls the model
 * image onto every node, so that servers scheduled later start without waiting for the pull.
 */
public final class Prepull {
    private final Config config;
    private final Manifests manifests;
    private final Names names;
    private final KubeApi api;

    public Prepull(Config config) {
        this(config, new KubeApi(config, () -> KubeApi.connect(config)));
    }

    Prepull(Config config, KubeApi api) {
        this.config = config;
        this.manifests = new Manifests(config);
        this.names = new Names(config);
        this.api = api;
    }

    /** Starts the DaemonSet, tells how many nodes have the image, or deletes it. */
    public void run(String action) {
        var daemonSet = manifests.prepull();
        String ns = manifests.namespace();
        switch (action) {
            case "start" -> {
                Manifests.write(names.appDir(), Map.of(daemonSet.getMetadata().getName() + ".yaml", List.of(daemonSet)));
                api.ensureNamespace(ns);
                api.apply(daemonSet);
                Console.step("Pre-pulling %s onto every %s node (DaemonSet %s).", names.modelImage(), config.get("instance_type"),
                        daemonSet.getMetadata().getName());
            }
            case "status" -> {
                var current = api.call("reading DaemonSet", () -> api.client().apps().daemonSets().inNamespace(ns).withName(daemonSet.getMetadata().getName()).get());
                if (current == null || current.getStatus() == null) {
                    Console.step("No pre-pull DaemonSet %s in %s.", daemonSet.getMetadata().getName(), ns);
                } else {
                    Console.step("%s: %d of %d nodes have the image ready.", daemonSet.getMetadata().getName(),
                            current.getStatus().getNumberReady(), current.getStatus().getDesiredNumberScheduled());
                }
            }
            case "stop" -> {
                api.call("deleting DaemonSet", () -> api.client().apps().daemonSets().inNamespace(ns).withName(daemonSet.getMetadata().getName()).delete());
                Console.step("Deleted the pre-pull DaemonSet %s.", daemonSet.getMetadata().getName());
            }
            default -> throw CliError.badInput("prepull takes start, status or stop, not '" + action + "'");
        }
    }
}
