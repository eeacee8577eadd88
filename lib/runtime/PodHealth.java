package lib.runtime;

//DEPS io.fabric8:kubernetes-client:7.9.0

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.List;
import java.util.Set;

/**
 * What a server pod's status says: ready, still coming up (with why), or failed for a reason that
 * waiting will not fix (an image that cannot be pulled, a crashing container). The rollout wait and
 * status both read it; it needs no cluster, so it is tested on pod objects directly.
 */
public record PodHealth(State state, String reason) {
    public enum State { READY, WAITING, FAILED }

    /** Container waiting reasons that do not go away by themselves. */
    static final Set<String> FATAL = Set.of("ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CrashLoopBackOff",
            "CreateContainerConfigError", "CreateContainerError", "RunContainerError");

    public static PodHealth of(Pod pod) {
        var status = pod.getStatus();
        if (status == null) {
            return new PodHealth(State.WAITING, "no status yet");
        }
        List<ContainerStatus> containers = status.getContainerStatuses() == null ? List.of() : status.getContainerStatuses();
        for (ContainerStatus c : containers) {
            if (c.getState() != null && c.getState().getWaiting() != null) {
                String why = c.getState().getWaiting().getReason();
                String message = c.getState().getWaiting().getMessage();
                String text = why + (message == null || message.isBlank() ? "" : ": " + message);
                if (FATAL.contains(why)) {
                    return new PodHealth(State.FAILED, text);
                }
                return new PodHealth(State.WAITING, text);
            }
        }
        if ("Failed".equals(status.getPhase())) {
            return new PodHealth(State.FAILED, "pod failed" + (status.getMessage() == null ? "" : ": " + status.getMessage()));
        }
        List<PodCondition> conditions = status.getConditions() == null ? List.of() : status.getConditions();
        for (PodCondition c : conditions) {
            if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())) {
                // Unschedulable may pass when a node autoscaler adds a node, so it is a wait, with the scheduler's words
                return new PodHealth(State.WAITING, "Pending: " + c.getReason() + (c.getMessage() == null ? "" : ": " + c.getMessage()));
            }
        }
        boolean ready = conditions.stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
        if (ready) {
            return new PodHealth(State.READY, "ready");
        }
        return new PodHealth(State.WAITING, status.getPhase() == null ? "starting" : status.getPhase() + ", not ready yet");
    }

    public static int restarts(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return 0;
        }
        return pod.getStatus().getContainerStatuses().stream().mapToInt(c -> c.getRestartCount() == null ? 0 : c.getRestartCount()).sum();
    }
}
