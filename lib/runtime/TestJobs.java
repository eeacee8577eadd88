package lib.runtime;

//SOURCES Manifests.java

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** How the Kubernetes runtime reads its test clients' Jobs: whether each ended, and which pod speaks for it. */
final class TestJobs {
    private TestJobs() {
    }

    /** A test Job's end: true when it completed, false when it failed, null while it runs. */
    static Boolean outcome(Job job) {
        var status = job.getStatus();
        if (status == null) {
            return null;
        }
        for (var c : status.getConditions() == null ? List.<JobCondition>of() : status.getConditions()) {
            if ("True".equals(c.getStatus()) && ("Complete".equals(c.getType()) || "Failed".equals(c.getType()))) {
                return "Complete".equals(c.getType());
            }
        }
        return status.getSucceeded() != null && status.getSucceeded() > 0 ? Boolean.TRUE : null;
    }

    /**
     * Per finished client, the pod whose log bma reads. A Job retries (backoffLimit), so a client may
     * have several pods: a succeeded one speaks for it, a failed one only when none succeeded.
     */
    static Map<String, String> finishedPods(List<Pod> pods) {
        Map<String, String> chosen = new TreeMap<>();
        Map<String, Boolean> succeeded = new HashMap<>();
        for (Pod p : pods) {
            String phase = p.getStatus() == null ? "" : p.getStatus().getPhase();
            String client = p.getMetadata().getLabels().getOrDefault(Manifests.APP, p.getMetadata().getName());
            boolean ok = "Succeeded".equals(phase);
            if ((ok || "Failed".equals(phase)) && !succeeded.getOrDefault(client, false)) {
                chosen.put(client, p.getMetadata().getName());
                succeeded.put(client, ok);
            }
        }
        return chosen;
    }
}
