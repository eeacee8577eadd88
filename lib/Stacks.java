package lib;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.Capability;
import software.amazon.awssdk.services.cloudformation.model.CloudFormationException;
import software.amazon.awssdk.services.cloudformation.model.Parameter;
import software.amazon.awssdk.services.cloudformation.model.Stack;
import software.amazon.awssdk.services.cloudformation.model.StackEvent;
import software.amazon.awssdk.services.cloudformation.model.StackStatus;
import software.amazon.awssdk.services.cloudformation.model.StackSummary;

/**
 * CloudFormation for provision and remove: create or update the management stack and follow its
 * events until it settles, and delete the stacks eksctl made plus the management stack, in
 * dependency order, waiting for each and tolerating stacks that are already gone.
 */
public final class Stacks {
    private final CloudFormationClient cf;
    private final Duration poll;

    public Stacks(CloudFormationClient cf, Duration poll) {
        this.cf = cf;
        this.poll = poll;
    }

    public static final String TEMPLATE = "cloudformation/management-instance.yaml";

    /** The management stack's template, kept in the repository. */
    public static String managementTemplate() {
        Path file = Artifacts.sourceRoot().resolve(TEMPLATE);
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw CliError.failed("cannot read " + file + ": " + e.getMessage());
        }
    }

    /** The template's parameters, from config. */
    public static Map<String, String> managementParameters(Config config) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("ClusterName", config.get("cluster_name"));
        p.put("Region", config.get("region"));
        p.put("ManagementInstanceType", config.get("management_instance_type"));
        p.put("CpuNodeType", config.get("cpu_node_type"));
        p.put("GravitonNodeType", config.get("graviton_node_type"));
        p.put("InferentiaNodeType", config.get("inferentia_node_type"));
        p.put("KeyName", config.get("key_name"));
        return p;
    }

    /** The stack, or null when there is none of that name. */
    Stack describe(String name) {
        return Aws.call("describing stack " + name, () -> {
            try {
                return cf.describeStacks(r -> r.stackName(name)).stacks().stream().findFirst().orElse(null);
            } catch (CloudFormationException e) {
                if (String.valueOf(e.getMessage()).contains("does not exist")) {
                    return null;
                }
                throw e;
            }
        });
    }

    /** Creates the stack, or updates it when it exists; follows its events until it is complete. */
    public void createOrUpdate(String name, String template, Map<String, String> parameters) {
        List<Parameter> params = parameters.entrySet().stream()
                .map(e -> Parameter.builder().parameterKey(e.getKey()).parameterValue(e.getValue()).build()).toList();
        Stack existing = describe(name);
        Set<String> seen = new HashSet<>();
        if (existing != null) {
            if (existing.stackStatus() == StackStatus.ROLLBACK_COMPLETE) {
                throw CliError.failed("stack " + name + " is ROLLBACK_COMPLETE from a failed create and cannot be updated:"
                        + " remove it with ./remove.java, then provision again");
            }
            events(name).forEach(e -> seen.add(e.eventId()));
            Console.step("Updating stack %s ...", name);
            boolean changed = Aws.call("updating stack " + name, () -> {
                try {
                    cf.updateStack(r -> r.stackName(name).templateBody(template).parameters(params)
                            .capabilities(Capability.CAPABILITY_IAM, Capability.CAPABILITY_NAMED_IAM));
                    return true;
                } catch (CloudFormationException e) {
                    if (String.valueOf(e.getMessage()).contains("No updates are to be performed")) {
                        return false;
                    }
                    throw e;
                }
            });
            if (!changed) {
                Console.step("Stack %s is up to date.", name);
                return;
            }
        } else {
            Console.step("Creating stack %s ...", name);
            Aws.call("creating stack " + name, () -> cf.createStack(r -> r.stackName(name).templateBody(template).parameters(params)
                    .capabilities(Capability.CAPABILITY_IAM, Capability.CAPABILITY_NAMED_IAM)));
        }
        await(name, seen, Set.of(StackStatus.CREATE_COMPLETE, StackStatus.UPDATE_COMPLETE), false);
    }

    /** Events of a stack, oldest first. */
    List<StackEvent> events(String name) {
        List<StackEvent> events = new ArrayList<>(Aws.call("reading events of stack " + name,
                () -> cf.describeStackEvents(r -> r.stackName(name)).stackEvents()));
        java.util.Collections.reverse(events);
        return events;
    }

    /**
     * Prints new events until the stack reaches a wanted status; a failed or rolled-back stack
     * fails with the first failed resource and its reason. With `gone`, a vanished stack is done.
     */
    void await(String name, Set<String> seen, Set<StackStatus> done, boolean gone) {
        while (true) {
            Stack stack = describe(name);
            if (stack == null) {
                if (gone) {
                    return;
                }
                throw CliError.failed("stack " + name + " disappeared");
            }
            List<StackEvent> events = events(name);
            for (StackEvent e : events) {
                if (seen.add(e.eventId())) {
                    Console.info("%s %-32s %-20s %s", e.timestamp(), e.logicalResourceId(), e.resourceStatusAsString(),
                            e.resourceStatusReason() == null ? "" : e.resourceStatusReason());
                }
            }
            StackStatus status = stack.stackStatus();
            if (done.contains(status)) {
                Console.step("Stack %s is %s.", name, status);
                return;
            }
            String s = stack.stackStatusAsString();
            if (s.endsWith("_FAILED") || s.endsWith("ROLLBACK_COMPLETE")) {
                StackEvent failed = events.stream().filter(e -> e.resourceStatusAsString().endsWith("_FAILED")
                        && e.resourceStatusReason() != null && !e.logicalResourceId().equals(name)).findFirst()
                        .orElse(events.stream().filter(e -> e.resourceStatusAsString().endsWith("_FAILED")).findFirst().orElse(null));
                throw CliError.failed("stack " + name + " is " + s + (failed == null ? ""
                        : ": " + failed.logicalResourceId() + " (" + failed.resourceType() + ") " + failed.resourceStatusAsString()
                        + ": " + failed.resourceStatusReason()));
            }
            sleep();
        }
    }

    private void sleep() {
        try {
            Thread.sleep(poll.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliError.failed("interrupted while waiting for CloudFormation");
        }
    }

    /** The stacks remove deletes, in the order it deletes them: node groups, IAM service accounts, cluster, management. */
    public List<String> removalOrder(String cluster, String managementStack) {
        List<String> live = new ArrayList<>();
        String token = null;
        do {
            String next = token;
            var page = Aws.call("listing stacks", () -> cf.listStacks(r -> r.nextToken(next)));
            for (StackSummary s : page.stackSummaries()) {
                if (s.stackStatus() != StackStatus.DELETE_COMPLETE) {
                    live.add(s.stackName());
                }
            }
            token = page.nextToken();
        } while (token != null);
        String prefix = "eksctl-" + cluster + "-";
        List<String> order = new ArrayList<>();
        live.stream().filter(n -> n.startsWith(prefix + "nodegroup-")).sorted().forEach(order::add);
        live.stream().filter(n -> n.startsWith(prefix + "addon-iamserviceaccount-")).sorted().forEach(order::add);
        live.stream().filter(n -> n.equals(prefix + "cluster")).forEach(order::add);
        live.stream().filter(n -> n.equals(managementStack)).forEach(order::add);
        return order;
    }

    /** Deletes the stacks one after the other, each finished before the next starts. */
    public void delete(List<String> stacks) {
        for (String name : stacks) {
            Console.step("Deleting stack %s ...", name);
            Set<String> seen = new HashSet<>();
            Aws.call("deleting stack " + name, () -> cf.deleteStack(r -> r.stackName(name)));
            await(name, seen, Set.of(StackStatus.DELETE_COMPLETE), true);
        }
    }
}
