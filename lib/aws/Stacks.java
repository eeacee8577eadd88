package lib.aws;

//SOURCES ../config/Artifacts.java Aws.java ../cli/CliError.java ../config/Config.java ../cli/Console.java ../store/StoreConfig.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import lib.cli.CliError;
import lib.cli.Console;
import lib.config.Artifacts;
import lib.config.Config;
import lib.store.StoreConfig;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.Capability;
import software.amazon.awssdk.services.cloudformation.model.Output;
import software.amazon.awssdk.services.cloudformation.model.Parameter;
import software.amazon.awssdk.services.cloudformation.model.Stack;
import software.amazon.awssdk.services.cloudformation.model.StackEvent;
import software.amazon.awssdk.services.cloudformation.model.StackStatus;

/**
 * The CloudFormation side of provision and remove: create or update the stack, stream its events
 * while waiting, delete stacks in dependency order. Every call goes through {@link Aws#call}.
 */
public final class Stacks implements AutoCloseable {
    /** The template, kept in the repository beside the scripts. */
    public static final String TEMPLATE = "cloudformation/management-instance.yaml";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

    private final CloudFormationClient cfn;
    private final Duration poll;

    Stacks(CloudFormationClient cfn, Duration poll) {
        this.cfn = cfn;
        this.poll = poll;
    }

    /** CloudFormation in the configured region, polled every few seconds (a stack takes minutes). */
    public static Stacks open(Config config) {
        return new Stacks(Aws.cloudFormation(config), Duration.ofSeconds(5));
    }

    @Override
    public void close() {
        cfn.close();
    }

    /** The template's text, from the repository that holds the scripts. */
    public static String template() {
        Path file = Artifacts.sourceRoot().resolve(TEMPLATE);
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw CliError.failed("cannot read the CloudFormation template " + file + ": " + e.getMessage());
        }
    }

    /** The template's parameters, from config (the template has defaults for the rest). */
    public static Map<String, String> parameters(Config config) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("ClusterName", config.get("cluster_name"));
        p.put("CpuInstanceType", config.get("node_type_cpu"));
        p.put("GravitonInstanceType", config.get("node_type_graviton"));
        p.put("InferentiaInstanceType", config.get("node_type_inf"));
        p.put("KeyName", config.get("key_pair"));
        String store = config.get("model_store").strip();
        if (store.startsWith("s3://")) {
            // the bucket, and a role the servers' service account gets through EKS Pod Identity
            String rest = store.substring(5);
            int slash = rest.indexOf('/');
            p.put("ModelStoreBucket", slash < 0 ? rest : rest.substring(0, slash));
            p.put("ModelStorePrefix", slash < 0 ? "" : rest.substring(slash + 1).replaceAll("/+$", ""));
            p.put("ServerNamespace", config.get("namespace"));
            p.put("StoreServiceAccount", StoreConfig.SERVICE_ACCOUNT);
        }
        return p;
    }

    /**
     * Whether stack created the model store's bucket: it was made with CreateModelStoreBucket=true
     * for that same bucket. provision keeps passing true for it (the bucket exists by then), and
     * remove deletes only such a bucket, never one model_store merely names.
     */
    public boolean createdModelBucket(String stack, String bucket) {
        return describe(stack).map(s -> {
            Map<String, String> p = new HashMap<>();
            s.parameters().forEach(x -> p.put(x.parameterKey(), x.parameterValue()));
            return "true".equals(p.get("CreateModelStoreBucket")) && bucket.equals(p.get("ModelStoreBucket"));
        }).orElse(false);
    }

    // ---------------------------------------------------------------- provision

    /** Creates the stack, or updates it when it exists; waits, streaming events; returns its outputs. */
    public Map<String, String> deploy(String name, String template, Map<String, String> parameters) {
        List<Parameter> params = parameters.entrySet().stream()
                .map(e -> Parameter.builder().parameterKey(e.getKey()).parameterValue(e.getValue()).build()).toList();
        Optional<Stack> existing = describe(name);
        Set<String> seen = new HashSet<>();
        if (existing.isPresent()) {
            StackStatus status = existing.get().stackStatus();
            if (status == StackStatus.ROLLBACK_COMPLETE || status == StackStatus.ROLLBACK_FAILED
                    || status == StackStatus.DELETE_FAILED) {
                throw CliError.failed("stack " + name + " is " + status + " from an earlier attempt and cannot be updated;"
                        + " run ./remove.java kubernetes, then provision again");
            }
            if (status.toString().endsWith("_IN_PROGRESS")) {
                throw CliError.failed("stack " + name + " is busy (" + status + "); wait until it settles and try again");
            }
            // events of earlier operations are history: only this update's are shown
            events(name).forEach(e -> seen.add(e.eventId()));
            Console.step("Updating stack %s ...", name);
            try {
                Aws.call("CloudFormation UpdateStack", () -> cfn.updateStack(r -> r.stackName(name).templateBody(template)
                        .parameters(params).capabilities(Capability.CAPABILITY_IAM)));
            } catch (CliError e) {
                if (String.valueOf(e.getMessage()).contains("No updates are to be performed")) {
                    Console.info("stack %s is up to date", name);
                    return outputs(describe(name).orElseThrow());
                }
                throw e;
            }
        } else {
            Console.step("Creating stack %s ...", name);
            // CloudFormation gives up (and rolls back) by itself after an hour
            Aws.call("CloudFormation CreateStack", () -> cfn.createStack(r -> r.stackName(name).templateBody(template)
                    .parameters(params).capabilities(Capability.CAPABILITY_IAM).timeoutInMinutes(60)));
        }
        Stack done = waitFor(name, seen, false);
        StackStatus status = done.stackStatus();
        if (status != StackStatus.CREATE_COMPLETE && status != StackStatus.UPDATE_COMPLETE) {
            throw CliError.failed("stack " + name + " ended " + status + failure(name, done));
        }
        Console.step("Stack %s: %s", name, status);
        return outputs(done);
    }

    /** Polls until the stack leaves *_IN_PROGRESS (or is gone, when deleting), printing new events. */
    private Stack waitFor(String name, Set<String> seen, boolean deleting) {
        while (true) {
            Optional<Stack> stack = describe(name);
            printNew(name, seen);
            if (stack.isEmpty()) {
                if (deleting) {
                    return null;
                }
                throw CliError.failed("stack " + name + " disappeared while waiting for it");
            }
            StackStatus status = stack.get().stackStatus();
            if (status == null || !status.toString().endsWith("_IN_PROGRESS")) {
                return stack.get();
            }
            sleep();
        }
    }

    private void printNew(String name, Set<String> seen) {
        List<StackEvent> fresh = new ArrayList<>();
        for (StackEvent e : events(name)) {
            if (seen.add(e.eventId())) {
                fresh.add(e);
            }
        }
        // newest first from the API: print oldest first
        for (int i = fresh.size() - 1; i >= 0; i--) {
            StackEvent e = fresh.get(i);
            Console.info("%s  %-30s %-28s %s%s", e.timestamp() == null ? "--:--:--" : TIME.format(e.timestamp()),
                    e.resourceStatusAsString(), e.logicalResourceId(), e.resourceType(),
                    e.resourceStatusReason() == null ? "" : "  " + e.resourceStatusReason());
        }
    }

    /** The stack's most recent events, newest first; none when the stack is gone. */
    private List<StackEvent> events(String name) {
        try {
            return Aws.call("CloudFormation DescribeStackEvents", () -> cfn.describeStackEvents(r -> r.stackName(name)).stackEvents());
        } catch (CliError e) {
            if (isMissing(e)) {
                return List.of();
            }
            throw e;
        }
    }

    /** The first resource that failed, and why: the later failures are usually its consequences. */
    private String failure(String name, Stack stack) {
        List<StackEvent> events = new ArrayList<>(events(name));
        java.util.Collections.reverse(events);
        for (StackEvent e : events) {
            if (e.resourceStatusAsString() != null && e.resourceStatusAsString().endsWith("_FAILED")
                    && !name.equals(e.logicalResourceId()) && e.resourceStatusReason() != null) {
                return ": " + e.logicalResourceId() + " (" + e.resourceType() + ") failed: " + e.resourceStatusReason();
            }
        }
        return stack.stackStatusReason() == null ? "" : ": " + stack.stackStatusReason();
    }

    private static Map<String, String> outputs(Stack stack) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Output o : stack.outputs()) {
            out.put(o.outputKey(), o.outputValue());
        }
        return out;
    }

    // ---------------------------------------------------------------- remove

    /**
     * What remove deletes, in order: stacks eksctl made for the cluster (node groups, IAM service
     * accounts, any other add-on, then the cluster; the original guidance made these), then ours.
     * Each inner list is one group, deleted together.
     */
    public List<List<String>> removalPlan(String clusterName, String managementStack) {
        List<String> live = new ArrayList<>();
        Aws.call("CloudFormation ListStacks", () -> {
            cfn.listStacksPaginator(r -> r.stackStatusFilters(liveStatuses())).stackSummaries()
                    .forEach(s -> live.add(s.stackName()));
            return null;
        });
        String prefix = "eksctl-" + clusterName + "-";
        List<String> nodeGroups = new ArrayList<>();
        List<String> serviceAccounts = new ArrayList<>();
        List<String> others = new ArrayList<>();
        List<String> cluster = new ArrayList<>();
        for (String name : live) {
            if (!name.startsWith(prefix)) {
                continue;
            }
            String rest = name.substring(prefix.length());
            if (rest.startsWith("nodegroup-")) {
                nodeGroups.add(name);
            } else if (rest.startsWith("addon-iamserviceaccount-")) {
                serviceAccounts.add(name);
            } else if (rest.equals("cluster")) {
                cluster.add(name);
            } else {
                others.add(name);
            }
        }
        List<List<String>> plan = new ArrayList<>();
        for (List<String> group : List.of(nodeGroups, serviceAccounts, others, cluster)) {
            if (!group.isEmpty()) {
                plan.add(group.stream().sorted().toList());
            }
        }
        if (live.contains(managementStack)) {
            plan.add(List.of(managementStack));
        }
        return plan;
    }

    /** Deletes each group and waits for it before the next; stacks already gone are fine. */
    public void delete(List<List<String>> plan) {
        for (List<String> group : plan) {
            Map<String, Set<String>> seen = new LinkedHashMap<>();
            for (String name : group) {
                Set<String> ids = new HashSet<>();
                events(name).forEach(e -> ids.add(e.eventId()));
                seen.put(name, ids);
                Console.step("Deleting stack %s ...", name);
                Aws.call("CloudFormation DeleteStack", () -> cfn.deleteStack(r -> r.stackName(name)));
            }
            for (String name : group) {
                Stack left = waitFor(name, seen.get(name), true);
                if (left != null && left.stackStatus() != StackStatus.DELETE_COMPLETE) {
                    throw CliError.failed("stack " + name + " ended " + left.stackStatus() + failure(name, left)
                            + "; fix that and run remove again");
                }
                Console.step("Stack %s: deleted", name);
            }
        }
    }

    private static List<StackStatus> liveStatuses() {
        return java.util.Arrays.stream(StackStatus.values())
                .filter(s -> s != StackStatus.DELETE_COMPLETE && s != StackStatus.UNKNOWN_TO_SDK_VERSION).toList();
    }

    // ---------------------------------------------------------------- shared

    /** The stack, or empty when there is none of that name (CloudFormation says so with an error). */
    Optional<Stack> describe(String name) {
        try {
            List<Stack> stacks = Aws.call("CloudFormation DescribeStacks", () -> cfn.describeStacks(r -> r.stackName(name)).stacks());
            return stacks.stream().findFirst();
        } catch (CliError e) {
            if (isMissing(e)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private static boolean isMissing(CliError e) {
        return String.valueOf(e.getMessage()).contains("does not exist");
    }

    private void sleep() {
        try {
            Thread.sleep(poll);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliError.failed("interrupted while waiting; the stack operation goes on in AWS");
        }
    }
}
