package lib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static support.AwsStub.json;
import static support.AwsStub.jsonError;
import static support.AwsStub.noStack;
import static support.AwsStub.stack;
import static support.AwsStub.xml;
import static support.AwsStub.xmlError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.AwsStub;
import support.Scripts;

/** AWS through the real SDK clients against a local stub that records requests; never a live account. */
class AwsTest {
    static final String ACCOUNT = "<Arn>arn:aws:iam::123456789012:user/dev</Arn><UserId>AIDASTUB</UserId><Account>123456789012</Account>";

    @TempDir
    Path dir;
    AwsStub aws;

    @BeforeEach
    void start() throws IOException {
        aws = new AwsStub().install();
    }

    @AfterEach
    void stop() {
        aws.close();
    }

    Config config(Map<String, String> overrides) throws IOException {
        Path file = dir.resolve("config.properties");
        if (!Files.exists(file)) {
            Files.copy(Path.of("config.properties"), file);
        }
        Config c = Config.load(file, overrides);
        return c.deriveWith("account", () -> Aws.accountId(c));
    }

    Stacks stacks(Config c) {
        return new Stacks(Aws.cloudFormation(c), Duration.ofMillis(5));
    }

    static AwsStub.Answer events(String... events) {
        StringBuilder sb = new StringBuilder("<StackEvents>");
        int id = events.length;
        for (String e : events) {
            String[] f = e.split("\\|");
            sb.append("<member><EventId>").append(id--).append("</EventId><StackName>mgmt</StackName><LogicalResourceId>").append(f[0])
                    .append("</LogicalResourceId><ResourceType>").append(f[1]).append("</ResourceType><ResourceStatus>").append(f[2])
                    .append("</ResourceStatus>").append(f.length > 3 ? "<ResourceStatusReason>" + f[3] + "</ResourceStatusReason>" : "")
                    .append("<Timestamp>2026-11-25T00:00:0").append(id).append("Z</Timestamp></member>");
        }
        return xml("DescribeStackEvents", sb.append("</StackEvents>").toString());
    }

    @Test
    void theAccountComesFromStsOncePerCommandAndOnlyWhenNeeded() throws IOException {
        aws.answer("GetCallerIdentity", xml("GetCallerIdentity", ACCOUNT));
        Config c = config(Map.of());
        assertEquals("tiny-bert-qa-cpu", c.get("app_name"));
        assertEquals(List.of(), aws.actions(), "nothing asked AWS for a key that does not need the account");
        assertEquals("123456789012.dkr.ecr.us-west-2.amazonaws.com/", c.get("registry"));
        assertEquals("123456789012.dkr.ecr.us-west-2.amazonaws.com/tiny-bert-qa:v15-cpu", new Names(c).modelImage());
        assertEquals(List.of("GetCallerIdentity"), aws.actions());
    }

    @Test
    void throttlingIsRetried() throws IOException {
        aws.answer("GetCallerIdentity", xmlError(400, "Throttling", "Rate exceeded"), xml("GetCallerIdentity", ACCOUNT));
        assertEquals("123456789012", Aws.accountId(config(Map.of())));
        assertEquals(List.of("GetCallerIdentity", "GetCallerIdentity"), aws.actions());
    }

    @Test
    void missingCredentialsAreOneClearLine() throws IOException {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
        CliError e = assertThrows(CliError.class, () -> Aws.accountId(config(Map.of())));
        assertEquals("no AWS credentials found (asking AWS STS for the account): set AWS_PROFILE or AWS_ACCESS_KEY_ID and"
                + " AWS_SECRET_ACCESS_KEY, or run aws configure", e.getMessage());
        assertEquals(List.of(), aws.actions());
    }

    @Test
    void ecrLoginDecodesTheTokenAndNeverShowsThePassword() throws IOException {
        String token = Base64.getEncoder().encodeToString("AWS:s3cr3t-pw".getBytes());
        aws.answer("GetAuthorizationToken", json("{\"authorizationData\":[{\"authorizationToken\":\"" + token
                + "\",\"expiresAt\":1.7E9,\"proxyEndpoint\":\"https://123456789012.dkr.ecr.us-west-2.amazonaws.com\"}]}"));
        Aws.Login login = Aws.ecrLogin(config(Map.of()));
        assertEquals("AWS", login.user());
        assertEquals("s3cr3t-pw", login.password());
        assertEquals("https://123456789012.dkr.ecr.us-west-2.amazonaws.com", login.endpoint());
        assertFalse(login.toString().contains("s3cr3t"));
    }

    @Test
    void aMissingRepositoryIsCreatedWithScanOnPush() throws IOException {
        aws.answer("DescribeRepositories", jsonError(400, "RepositoryNotFoundException", "The repository with name 'tiny-bert-qa' does not exist"))
                .answer("CreateRepository", json("{\"repository\":{\"repositoryName\":\"tiny-bert-qa\"}}"));
        assertTrue(Aws.ensureRepository(config(Map.of()), "tiny-bert-qa"));
        assertEquals(List.of("DescribeRepositories", "CreateRepository"), aws.actions());
        String create = aws.of("CreateRepository").get(0).body();
        assertTrue(create.contains("\"repositoryName\":\"tiny-bert-qa\"") && create.contains("\"scanOnPush\":true"), create);

        aws.answer("DescribeRepositories", json("{\"repositories\":[{\"repositoryName\":\"tiny-bert-qa\"}]}"));
        assertFalse(Aws.ensureRepository(config(Map.of()), "tiny-bert-qa"));
        assertEquals(1, aws.of("CreateRepository").size(), "an existing repository is left alone");
    }

    @Test
    void provisionCreatesTheStackWithTemplateAndParametersAndFollowsItsEvents() throws IOException {
        Config c = config(Map.of("cluster_name", "demo", "key_name", "mykey"));
        aws.answer("DescribeStacks", noStack("mgmt"), stack("mgmt", "CREATE_IN_PROGRESS"), stack("mgmt", "CREATE_COMPLETE"))
                .answer("CreateStack", xml("CreateStack", "<StackId>arn:stack/mgmt/1</StackId>"))
                .answer("DescribeStackEvents", events("ManagementRole|AWS::IAM::Role|CREATE_COMPLETE", "mgmt|AWS::CloudFormation::Stack|CREATE_IN_PROGRESS"));
        stacks(c).createOrUpdate("mgmt", Stacks.managementTemplate(), Stacks.managementParameters(c));
        Map<String, String> create = aws.of("CreateStack").get(0).params();
        assertEquals("mgmt", create.get("StackName"));
        assertEquals(Files.readString(Path.of(Stacks.TEMPLATE)), create.get("TemplateBody"));
        assertEquals("ClusterName", create.get("Parameters.member.1.ParameterKey"));
        assertEquals("demo", create.get("Parameters.member.1.ParameterValue"));
        assertEquals("mykey", create.get("Parameters.member.7.ParameterValue"));
        assertEquals("CAPABILITY_IAM", create.get("Capabilities.member.1"));
        assertEquals(3, aws.of("DescribeStacks").size(), "waited until CREATE_COMPLETE");
    }

    @Test
    void aRolledBackStackFailsWithTheFailedResourceAndItsReason() throws IOException {
        Config c = config(Map.of());
        aws.answer("DescribeStacks", noStack("mgmt"), stack("mgmt", "ROLLBACK_IN_PROGRESS"), stack("mgmt", "ROLLBACK_COMPLETE"))
                .answer("CreateStack", xml("CreateStack", "<StackId>arn:stack/mgmt/1</StackId>"))
                .answer("DescribeStackEvents", events("mgmt|AWS::CloudFormation::Stack|ROLLBACK_COMPLETE",
                        "ManagementInstance|AWS::EC2::Instance|CREATE_FAILED|The requested instance type is not supported in this zone",
                        "ManagementRole|AWS::IAM::Role|CREATE_COMPLETE"));
        CliError e = assertThrows(CliError.class, () -> stacks(c).createOrUpdate("mgmt", "{}", Map.of()));
        assertEquals(CliError.FAILED, e.exitCode());
        assertEquals("stack mgmt is ROLLBACK_COMPLETE: ManagementInstance (AWS::EC2::Instance) CREATE_FAILED:"
                + " The requested instance type is not supported in this zone", e.getMessage());
    }

    @Test
    void anUnchangedStackIsUpToDateAndARolledBackOneMustBeRemovedFirst() throws IOException {
        Config c = config(Map.of());
        aws.answer("DescribeStacks", stack("mgmt", "CREATE_COMPLETE")).answer("DescribeStackEvents", events())
                .answer("UpdateStack", xmlError(400, "ValidationError", "No updates are to be performed."));
        stacks(c).createOrUpdate("mgmt", "{}", Map.of());
        assertEquals(1, aws.of("UpdateStack").size());
        aws.answer("DescribeStacks", stack("mgmt", "ROLLBACK_COMPLETE"));
        assertTrue(assertThrows(CliError.class, () -> stacks(c).createOrUpdate("mgmt", "{}", Map.of())).getMessage()
                .contains("remove it with ./remove.java"));
    }

    static AwsStub.Answer stackList(String... nameStatus) {
        StringBuilder sb = new StringBuilder("<StackSummaries>");
        for (String s : nameStatus) {
            String[] f = s.split(":");
            sb.append("<member><StackName>").append(f[0]).append("</StackName><StackStatus>").append(f[1])
                    .append("</StackStatus><CreationTime>2026-11-25T00:00:00Z</CreationTime><StackId>arn:").append(f[0]).append("</StackId></member>");
        }
        return xml("ListStacks", sb.append("</StackSummaries>").toString());
    }

    @Test
    void removeDeletesInDependencyOrderAndToleratesStacksAlreadyGone() throws IOException {
        Config c = config(Map.of("cluster_name", "demo", "stack_name", "mgmt"));
        aws.answer("ListStacks", stackList("mgmt:CREATE_COMPLETE", "eksctl-demo-cluster:CREATE_COMPLETE", "someone-else:CREATE_COMPLETE",
                        "eksctl-demo-nodegroup-inferentia:CREATE_COMPLETE", "eksctl-demo-addon-iamserviceaccount-kube-system-aws-node:CREATE_COMPLETE",
                        "eksctl-demo-nodegroup-cpu:CREATE_COMPLETE", "eksctl-demo-nodegroup-old:DELETE_COMPLETE"))
                .answer("DeleteStack", xml("DeleteStack", ""))
                .answer("DescribeStacks", noStack("any"));
        Stacks s = stacks(c);
        List<String> order = s.removalOrder("demo", "mgmt");
        assertEquals(List.of("eksctl-demo-nodegroup-cpu", "eksctl-demo-nodegroup-inferentia",
                "eksctl-demo-addon-iamserviceaccount-kube-system-aws-node", "eksctl-demo-cluster", "mgmt"), order);
        s.delete(order);
        assertEquals(order, aws.of("DeleteStack").stream().map(r -> r.params().get("StackName")).toList());
        List<String> actions = aws.actions().stream().filter(a -> !a.equals("ListStacks")).toList();
        assertEquals("DeleteStack", actions.get(0));
        assertEquals("DescribeStacks", actions.get(1), "each deletion is waited for before the next");
    }

    @Test
    void aFailedDeletionStopsRemove() throws IOException {
        Config c = config(Map.of());
        aws.answer("DeleteStack", xml("DeleteStack", "")).answer("DescribeStacks", stack("mgmt", "DELETE_FAILED"))
                .answer("DescribeStackEvents", events("ManagementRole|AWS::IAM::Role|DELETE_FAILED|Role is in use"));
        CliError e = assertThrows(CliError.class, () -> stacks(c).delete(List.of("mgmt", "later")));
        assertEquals("stack mgmt is DELETE_FAILED: ManagementRole (AWS::IAM::Role) DELETE_FAILED: Role is in use", e.getMessage());
        assertEquals(1, aws.of("DeleteStack").size(), "nothing after a failed deletion is touched");
    }

    @Test
    void provisionDryRunAndOtherRuntimesNeedNoAws() throws IOException {
        Path project = Scripts.project(dir.resolve("p"), Map.of());
        Scripts.Run dry = Scripts.run(project, "provision.java", "--dry-run");
        assertEquals(0, dry.exitCode(), dry::toString);
        assertTrue(dry.stdout().contains("AWSTemplateFormatVersion"), dry::toString);
        assertTrue(dry.stdout().matches("(?s).*ClusterName\\s+eks-inference.*"), dry::toString);
        assertTrue(dry.stdout().matches("(?s).*InferentiaNodeType\\s+inf2.8xlarge.*"), dry::toString);
        Scripts.Run docker = Scripts.run(project, "provision.java", "docker");
        assertEquals(0, docker.exitCode(), docker::toString);
        assertTrue(docker.stdout().contains("needs no infrastructure"), docker::toString);
        assertEquals(0, Scripts.run(project, "remove.java", "local").exitCode());
        assertEquals(List.of(), aws.actions());
    }

    @Test
    void removeWithoutYesAndNoTerminalRefusesAndDeletesNothing() throws IOException {
        aws.answer("ListStacks", stackList("jdo-inference-management:CREATE_COMPLETE"));
        Path project = Scripts.project(dir.resolve("r"), Map.of("runtime", "kubernetes"));
        Scripts.Run run = Scripts.run(project, aws.env(), 300, "remove.java");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.stderr().contains("confirm with --yes"), run::toString);
        assertEquals(List.of("ListStacks"), aws.actions());
    }

    @Test
    void loginPassesThePasswordThroughStdinOnly() throws IOException {
        String token = Base64.getEncoder().encodeToString("AWS:s3cr3t-pw".getBytes());
        aws.answer("GetAuthorizationToken", json("{\"authorizationData\":[{\"authorizationToken\":\"" + token
                + "\",\"proxyEndpoint\":\"https://123456789012.dkr.ecr.us-west-2.amazonaws.com\"}]}"));
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path fake = bin.resolve("docker");
        Files.writeString(fake, "#!/bin/sh\necho \"args: $*\" > \"$(dirname \"$0\")/args\"\ncat > \"$(dirname \"$0\")/stdin\"\necho 'Login Succeeded'\n");
        fake.toFile().setExecutable(true);
        Path project = Scripts.project(dir.resolve("l"), Map.of());
        Map<String, String> env = new java.util.HashMap<>(aws.env());
        env.put("PATH", bin + ":" + System.getenv("PATH"));
        Scripts.Run run = Scripts.run(project, env, 300, "login.java");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("args: login --username AWS --password-stdin https://123456789012.dkr.ecr.us-west-2.amazonaws.com",
                Files.readString(bin.resolve("args")).strip());
        assertEquals("s3cr3t-pw", Files.readString(bin.resolve("stdin")));
        assertFalse(run.all().contains("s3cr3t"), "the password is never printed");
        assertTrue(run.stdout().contains("+ docker login --username AWS --password-stdin"), "verbose shows the command");
        Scripts.Run other = Scripts.run(project, env, 300, "login.java", "-Dregistry_type=other");
        assertEquals(3, other.exitCode(), other::toString);
    }
}
