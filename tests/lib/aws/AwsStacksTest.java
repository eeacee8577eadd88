package lib.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lib.cli.CliError;
import lib.config.Config;
import org.junit.jupiter.api.Test;
import support.AwsStub.Request;

/** provision and remove against the stub: requests sent, waiting, events, failures, deletion order. */
class AwsStacksTest extends AwsTestBase {
    static final String STACK = "ManagementInstance";
    static final String MISSING = "Stack with id " + STACK + " does not exist";

    Stacks stacks() {
        return new Stacks(Aws.cloudFormation(config()), Duration.ofMillis(1));
    }

    static String stack(String status, String outputs) {
        return "<Stacks><member><StackName>" + STACK + "</StackName><StackId>arn:aws:cloudformation:us-west-2:123456789012:stack/"
                + STACK + "/1</StackId><CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>" + status
                + "</StackStatus><Outputs>" + outputs + "</Outputs></member></Stacks>";
    }

    static String output(String key, String value) {
        return "<member><OutputKey>" + key + "</OutputKey><OutputValue>" + value + "</OutputValue></member>";
    }

    static String events(String... events) {
        return "<StackEvents>" + String.join("", events) + "</StackEvents>";
    }

    static String event(String id, String logical, String type, String status, String reason) {
        return "<member><EventId>" + id + "</EventId><StackName>" + STACK + "</StackName><LogicalResourceId>" + logical
                + "</LogicalResourceId><ResourceType>" + type + "</ResourceType><Timestamp>2026-01-01T00:00:0" + id.length()
                + "Z</Timestamp><ResourceStatus>" + status + "</ResourceStatus>"
                + (reason == null ? "" : "<ResourceStatusReason>" + reason + "</ResourceStatusReason>") + "</member>";
    }

    @Test
    void createsTheStackFromTheTemplateWithConfigParametersAndStreamsEachEventOnce() {
        String started = event("e1", STACK, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated");
        String vpc = event("e2", "Vpc", "AWS::EC2::VPC", "CREATE_IN_PROGRESS", null);
        String done = event("e3", STACK, "AWS::CloudFormation::Stack", "CREATE_COMPLETE", null);
        stub.queryError("DescribeStacks", 400, "ValidationError", MISSING)
                .query("DescribeStacks", stack("CREATE_IN_PROGRESS", ""))
                .query("DescribeStacks", stack("CREATE_COMPLETE", output("ClusterName", "eks-inference-workshop")
                        + output("ManagementInstanceId", "i-0123")));
        stub.query("CreateStack", "<StackId>arn:stack/1</StackId>");
        stub.query("DescribeStackEvents", events(vpc, started)).query("DescribeStackEvents", events(done, vpc, started));

        Config config = config(Map.of("node_type_inf", "inf2.8xlarge", "key_pair", "my-key"));
        Map<String, String> outputs;
        try (Stacks stacks = new Stacks(Aws.cloudFormation(config), Duration.ofMillis(1))) {
            outputs = stacks.deploy(STACK, Stacks.template(), Stacks.parameters(config));
        }

        assertEquals(List.of("DescribeStacks", "CreateStack", "DescribeStacks", "DescribeStackEvents", "DescribeStacks",
                "DescribeStackEvents"), stub.operations());
        Request create = stub.requests("CreateStack").getFirst();
        assertEquals(STACK, create.param("StackName"));
        assertEquals(Stacks.template(), create.param("TemplateBody"));
        assertTrue(create.param("TemplateBody").contains("AWS::EKS::Cluster"));
        assertEquals("CAPABILITY_IAM", create.param("Capabilities.member.1"));
        assertEquals("60", create.param("TimeoutInMinutes"));
        Map<String, String> sent = new LinkedHashMap<>();
        for (int i = 1; create.param("Parameters.member." + i + ".ParameterKey") != null; i++) {
            sent.put(create.param("Parameters.member." + i + ".ParameterKey"), create.param("Parameters.member." + i + ".ParameterValue"));
        }
        assertEquals(Map.of("ClusterName", "eks-inference-workshop", "CpuInstanceType", "c5.4xlarge",
                "GravitonInstanceType", "c7g.4xlarge", "InferentiaInstanceType", "inf2.8xlarge", "KeyName", "my-key"), sent);
        assertTrue(create.headers().get("authorization").contains("Credential=" + ACCESS_KEY + "/"), "signed with the chain's credentials");

        assertEquals(Map.of("ClusterName", "eks-inference-workshop", "ManagementInstanceId", "i-0123"), outputs);
        String printed = printed();
        assertEquals(1, count(printed, "Vpc "), printed);
        assertTrue(printed.indexOf("User Initiated") < printed.indexOf("Vpc ") && printed.indexOf("Vpc ") < printed.indexOf("CREATE_COMPLETE"),
                "events oldest first: " + printed);
        assertFalse(printed.contains(SECRET_KEY));
    }

    @Test
    void updatesAnExistingStackShowingOnlyTheUpdatesEvents() {
        String old = event("old1", "Vpc", "AWS::EC2::VPC", "CREATE_COMPLETE", "from last week");
        String fresh = event("new1", "CpuNodes", "AWS::EKS::Nodegroup", "UPDATE_IN_PROGRESS", null);
        stub.query("DescribeStacks", stack("CREATE_COMPLETE", ""))
                .query("DescribeStacks", stack("UPDATE_IN_PROGRESS", ""))
                .query("DescribeStacks", stack("UPDATE_COMPLETE", ""));
        stub.query("DescribeStackEvents", events(old)).query("DescribeStackEvents", events(fresh, old));
        stub.query("UpdateStack", "<StackId>arn:stack/1</StackId>");

        try (Stacks stacks = stacks()) {
            stacks.deploy(STACK, "template-text", Map.of("ClusterName", "c"));
        }

        assertTrue(stub.requests("CreateStack").isEmpty());
        Request update = stub.requests("UpdateStack").getFirst();
        assertEquals("template-text", update.param("TemplateBody"));
        assertEquals("CAPABILITY_IAM", update.param("Capabilities.member.1"));
        assertTrue(printed().contains("CpuNodes"), printed());
        assertFalse(printed().contains("from last week"), printed());
        assertTrue(printed().contains("UPDATE_COMPLETE"), printed());
    }

    @Test
    void noUpdatesToPerformIsSuccess() {
        stub.query("DescribeStacks", stack("UPDATE_COMPLETE", output("ClusterName", "c")));
        stub.query("DescribeStackEvents", events());
        stub.queryError("UpdateStack", 400, "ValidationError", "No updates are to be performed.");

        Map<String, String> outputs;
        try (Stacks stacks = stacks()) {
            outputs = stacks.deploy(STACK, "t", Map.of());
        }
        assertEquals(Map.of("ClusterName", "c"), outputs);
        assertTrue(printed().contains("up to date"), printed());
    }

    @Test
    void aRollbackNamesTheResourceThatFailedFirstAndWhy() {
        stub.queryError("DescribeStacks", 400, "ValidationError", MISSING)
                .query("DescribeStacks", stack("ROLLBACK_COMPLETE", ""));
        stub.query("CreateStack", "<StackId>arn:stack/1</StackId>");
        stub.query("DescribeStackEvents", events(
                event("e5", STACK, "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE", null),
                event("e4", "InferentiaNodes", "AWS::EKS::Nodegroup", "CREATE_FAILED", "Resource creation cancelled"),
                event("e3", "Cluster", "AWS::EKS::Cluster", "CREATE_FAILED", "Unsupported Kubernetes version 1.0"),
                event("e2", STACK, "AWS::CloudFormation::Stack", "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Cluster]"),
                event("e1", STACK, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated")));

        CliError error;
        try (Stacks stacks = stacks()) {
            error = assertThrows(CliError.class, () -> stacks.deploy(STACK, "t", Map.of()));
        }
        assertEquals(CliError.FAILED, error.exitCode());
        assertEquals("stack ManagementInstance ended ROLLBACK_COMPLETE: Cluster (AWS::EKS::Cluster) failed: Unsupported Kubernetes version 1.0",
                error.getMessage());
    }

    @Test
    void aStackLeftInRollbackCompleteMustBeRemovedFirst() {
        stub.query("DescribeStacks", stack("ROLLBACK_COMPLETE", ""));
        try (Stacks stacks = stacks()) {
            CliError error = assertThrows(CliError.class, () -> stacks.deploy(STACK, "t", Map.of()));
            assertTrue(error.getMessage().contains("./remove.java kubernetes"), error.getMessage());
        }
        assertTrue(stub.requests("UpdateStack").isEmpty() && stub.requests("CreateStack").isEmpty());
    }

    static String summaries(String... names) {
        StringBuilder sb = new StringBuilder("<StackSummaries>");
        for (String name : names) {
            sb.append("<member><StackName>").append(name).append("</StackName><StackId>arn:").append(name)
                    .append("</StackId><CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus></member>");
        }
        return sb.append("</StackSummaries>").toString();
    }

    @Test
    void removeDeletesNodeGroupsThenServiceAccountsThenClusterThenOurStackWaitingForEach() {
        String p = "eksctl-eks-inference-workshop-";
        stub.query("ListStacks", summaries(STACK, p + "cluster", p + "nodegroup-inf", "unrelated", p + "nodegroup-cpu",
                p + "addon-iamserviceaccount-kube-system-aws-node", "eksctl-other-cluster", p + "karpenter"));
        stub.query("DeleteStack", "");
        stub.queryError("DescribeStackEvents", 400, "ValidationError", "Stack does not exist");
        // the waits run one after another: each stack is still deleting when first asked, then gone
        for (int i = 0; i < 5; i++) {
            stub.query("DescribeStacks", stack("DELETE_IN_PROGRESS", ""))
                    .queryError("DescribeStacks", 400, "ValidationError", "Stack with id x does not exist");
        }

        List<List<String>> plan;
        try (Stacks stacks = stacks()) {
            plan = stacks.removalPlan("eks-inference-workshop", STACK);
            assertEquals(List.of(List.of(p + "nodegroup-cpu", p + "nodegroup-inf"),
                    List.of(p + "addon-iamserviceaccount-kube-system-aws-node"), List.of(p + "karpenter"),
                    List.of(p + "cluster"), List.of(STACK)), plan);
            assertFalse(stub.requests("ListStacks").getFirst().form().containsValue("DELETE_COMPLETE"), "deleted stacks are not listed");

            stacks.delete(plan);
        }

        List<String> deleted = stub.requests("DeleteStack").stream().map(r -> r.param("StackName")).toList();
        assertEquals(plan.stream().flatMap(List::stream).toList(), deleted);
        // a group is deleted only after the one before it is gone
        List<Request> all = stub.requests();
        int clusterDelete = indexOf(all, "DeleteStack", p + "cluster");
        int lastWaitOnAddon = lastIndexOf(all, "DescribeStacks", p + "karpenter");
        assertTrue(lastWaitOnAddon >= 0 && lastWaitOnAddon < clusterDelete, "waited for the add-on stack before deleting the cluster");
        assertTrue(indexOf(all, "DeleteStack", STACK) > lastIndexOf(all, "DescribeStacks", p + "cluster"));
    }

    @Test
    void removeWithNothingLeftFindsNothingAndDeletingAGoneStackIsFine() {
        stub.query("ListStacks", summaries("unrelated"));
        stub.query("DeleteStack", "");
        stub.queryError("DescribeStackEvents", 400, "ValidationError", MISSING);
        stub.queryError("DescribeStacks", 400, "ValidationError", MISSING);
        try (Stacks stacks = stacks()) {
            assertEquals(List.of(), stacks.removalPlan("eks-inference-workshop", STACK));
            stacks.delete(List.of(List.of(STACK)));
        }
        assertEquals(1, stub.requests("DeleteStack").size());
        assertTrue(printed().contains("Stack ManagementInstance: deleted"), printed());
    }

    static String withParameters(String stack, String bucket, String created) {
        return stack.replace("<Outputs>", "<Parameters><member><ParameterKey>ModelStoreBucket</ParameterKey><ParameterValue>" + bucket
                + "</ParameterValue></member><member><ParameterKey>CreateModelStoreBucket</ParameterKey><ParameterValue>" + created
                + "</ParameterValue></member></Parameters><Outputs>");
    }

    @Test
    void onlyABucketTheStackCreatedIsForRemoveToDelete() {
        stub.query("DescribeStacks", withParameters(stack("CREATE_COMPLETE", ""), "models", "true"))
                .query("DescribeStacks", withParameters(stack("CREATE_COMPLETE", ""), "models", "true"))
                .query("DescribeStacks", withParameters(stack("UPDATE_COMPLETE", ""), "models", "false"))
                .queryError("DescribeStacks", 400, "ValidationError", MISSING);
        try (Stacks stacks = stacks()) {
            assertTrue(stacks.createdModelBucket(STACK, "models"));
            assertFalse(stacks.createdModelBucket(STACK, "other-bucket"), "model_store now names another bucket");
            assertFalse(stacks.createdModelBucket(STACK, "models"), "model_store named an existing bucket");
            assertFalse(stacks.createdModelBucket(STACK, "models"), "no stack");
        }
    }

    @Test
    void aFailedDeletionSaysWhichResourceKeptIt() {
        stub.query("DeleteStack", "");
        stub.query("DescribeStackEvents", events())
                .query("DescribeStackEvents", events(event("d1", "Vpc", "AWS::EC2::VPC", "DELETE_FAILED", "has dependencies")));
        stub.query("DescribeStacks", stack("DELETE_IN_PROGRESS", "")).query("DescribeStacks", stack("DELETE_FAILED", ""));
        try (Stacks stacks = stacks()) {
            CliError error = assertThrows(CliError.class, () -> stacks.delete(List.of(List.of(STACK))));
            assertEquals("stack ManagementInstance ended DELETE_FAILED: Vpc (AWS::EC2::VPC) failed: has dependencies;"
                    + " fix that and run remove again", error.getMessage());
        }
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    private static int indexOf(List<Request> all, String op, String stack) {
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).operation().equals(op) && stack.equals(all.get(i).param("StackName"))) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexOf(List<Request> all, String op, String stack) {
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i).operation().equals(op) && stack.equals(all.get(i).param("StackName"))) {
                return i;
            }
        }
        return -1;
    }
}
