package scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.AwsStub;
import support.S3Server;
import support.Scripts;
import support.Scripts.Run;

/** provision and remove as real processes, with no AWS credentials anywhere: they must not need them. */
class AwsScriptsTest {
    @TempDir
    static Path dir;
    static Path project;
    /** Every place the SDK could find credentials is empty, so an AWS call would fail loudly. */
    static Map<String, String> noAws;

    @BeforeAll
    static void project() throws IOException {
        project = Scripts.project(dir, Map.of());
        noAws = Map.of("AWS_SHARED_CREDENTIALS_FILE", dir.resolve("none").toString(), "AWS_CONFIG_FILE", dir.resolve("none").toString(),
                "AWS_EC2_METADATA_DISABLED", "true", "AWS_ACCESS_KEY_ID", "", "AWS_SECRET_ACCESS_KEY", "");
    }

    @Test
    void dryRunPrintsTheParametersAndTheTemplateOffline() throws IOException {
        Run run = Scripts.run(project, noAws, 300, "provision.java", "--dry-run", "-Dnode_type_inf=inf2.8xlarge", "-Dcluster_name=bench");
        assertEquals(0, run.exitCode(), run::toString);
        String out = run.stdout();
        assertTrue(out.contains("#   ClusterName=bench\n"), out);
        assertTrue(out.contains("#   InferentiaInstanceType=inf2.8xlarge\n"), out);
        assertTrue(out.contains("#   CpuInstanceType=c5.4xlarge\n"), out);
        assertTrue(out.contains("# region: us-west-2"), out);
        assertTrue(out.contains("no infrastructure"), "the shipped runtime is local: " + out);
        String template = Files.readString(Scripts.ROOT.resolve("cloudformation/management-instance.yaml"));
        assertTrue(out.endsWith(template), "the template follows, as it would be sent");
        assertFalse(run.all().contains("credentials"), run::toString);
    }

    @Test
    void manifestsAndConfigShowNeedNoCredentialsAndShowTheAccountAsAPlaceholder() throws IOException {
        Run run = Scripts.run(project, noAws, 300, "deploy.java", "manifests", "-Druntime=kubernetes", "-Dnum_servers=1");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of("[WARN] account unknown (no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,"
                + " or run aws configure (or use an instance role)): ${account} is shown as <account>"),
                errors(run).lines().filter(l -> l.contains("account")).toList(), "one warning line: " + run);
        assertFalse(run.stderr().contains("error:"), run::toString);
        try (var files = Files.walk(project)) {
            Path yaml = files.filter(f -> f.getFileName().toString().equals("tiny-bert-qa-cpu-0.yaml")).findFirst().orElseThrow();
            assertTrue(Files.readString(yaml).contains("image: \"<account>.dkr.ecr.us-west-2.amazonaws.com/tiny-bert-qa:v15-cpu\""), yaml::toString);
        }
        Run show = Scripts.run(project, noAws, 300, "config.java", "show");
        assertEquals(0, show.exitCode(), show::toString);
        assertTrue(show.stdout().contains("derived from AWS STS when a step needs it"), show::toString);
        Run help = Scripts.run(project, noAws, 300, "deploy.java", "help");
        assertEquals(0, help.exitCode(), help::toString);
        assertEquals("", errors(help), help::toString);
    }

    @Test
    void dockerAndLocalNeedNoInfrastructure() {
        Run docker = Scripts.run(project, noAws, 300, "provision.java", "docker");
        assertEquals(0, docker.exitCode(), docker::toString);
        assertTrue(docker.stdout().contains("No infrastructure is needed for runtime docker"), docker::toString);

        Run remove = Scripts.run(project, noAws, 300, "remove.java");
        assertEquals(0, remove.exitCode(), remove::toString);
        assertTrue(remove.stdout().contains("Nothing to remove for runtime local"), remove::toString);
    }

    @Test
    void badRuntimeAndUnconfirmedRemoveAreRefused() {
        Run bad = Scripts.run(project, noAws, 300, "provision.java", "swarm");
        assertEquals(2, bad.exitCode(), bad::toString);
        assertEquals("error: unknown runtime 'swarm': use one of local, docker, kubernetes", errors(bad));

        Run remove = Scripts.run(project, noAws, 300, "remove.java", "kubernetes");
        assertEquals(2, remove.exitCode(), remove::toString);
        assertTrue(errors(remove).startsWith("error: remove deletes the EKS cluster"), remove::toString);
        assertTrue(errors(remove).endsWith("pass --yes") && !errors(remove).contains("\n"), remove::toString);
    }

    @Test
    void withoutCredentialsProvisionSaysSoInOneLine() {
        Run run = Scripts.run(project, noAws, 300, "provision.java", "kubernetes");
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(errors(run).startsWith("error: no AWS credentials found: set AWS_PROFILE"), run::toString);
        assertFalse(errors(run).contains("\n"), "one line: " + run);
    }

    @Test
    void removeDeletesTheStackThenEmptiesAndDeletesTheBucketProvisionCreatedButNeverOneItDidNot() throws Exception {
        try (S3Server s3 = S3Server.start()) {
            for (String bucket : List.of("owned-models", "their-models")) {
                s3.createBucket(bucket);
                for (String key : List.of("team/index.json", "team/qa/0123456789ab/qa.pt", "elsewhere/notes.txt")) {
                    s3.client().putObject(r -> r.bucket(bucket).key(key), software.amazon.awssdk.core.sync.RequestBody.fromString(key));
                }
            }
            for (String bucket : List.of("owned-models", "their-models")) {
                boolean owned = bucket.startsWith("owned");
                AwsStub aws = new AwsStub(); // a stub's last answer repeats: one per run
                // the real SDK clients of the script talk to the stub (CloudFormation) and to s3proxy (S3)
                Map<String, String> env = Map.of("AWS_ENDPOINT_URL_CLOUDFORMATION", aws.endpoint().toString(),
                        "AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY,
                        "AWS_SHARED_CREDENTIALS_FILE", dir.resolve("none").toString(), "AWS_CONFIG_FILE", dir.resolve("none").toString(),
                        "AWS_EC2_METADATA_DISABLED", "true");
                String stack = "<Stacks><member><StackName>ManagementInstance</StackName><StackId>arn:aws:cloudformation:us-west-2:1:stack/m/1"
                        + "</StackId><CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Parameters>"
                        + "<member><ParameterKey>ModelStoreBucket</ParameterKey><ParameterValue>" + bucket + "</ParameterValue></member>"
                        + "<member><ParameterKey>CreateModelStoreBucket</ParameterKey><ParameterValue>" + owned + "</ParameterValue></member>"
                        + "</Parameters><Outputs></Outputs></member></Stacks>";
                aws.query("ListStacks", "<StackSummaries><member><StackName>ManagementInstance</StackName><StackId>arn:m</StackId>"
                        + "<CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus></member></StackSummaries>")
                        .query("DeleteStack", "")
                        .query("DescribeStacks", stack)
                        .queryError("DescribeStacks", 400, "ValidationError", "Stack with id ManagementInstance does not exist")
                        .queryError("DescribeStackEvents", 400, "ValidationError", "Stack with id ManagementInstance does not exist");
                Run remove = Scripts.run(project, env, 300, "remove.java", "kubernetes", "--yes", "-Dmodel_store=s3://" + bucket + "/team",
                        "-Ds3_endpoint=" + s3.endpoint());
                assertEquals(0, remove.exitCode(), remove::toString);
                assertTrue(aws.requests("DeleteStack").stream().anyMatch(r -> "ManagementInstance".equals(r.param("StackName"))), remove::toString);
                boolean exists = s3.client().listBuckets().buckets().stream().anyMatch(b -> b.name().equals(bucket));
                if (owned) {
                    assertFalse(exists, "the bucket provision created is deleted: " + remove);
                    assertTrue(remove.stdout().contains("bucket owned-models deleted with its 3 objects"), remove::toString);
                } else {
                    assertTrue(exists, "a bucket model_store merely names is kept: " + remove);
                    assertEquals(3, s3.client().listObjectsV2(r -> r.bucket(bucket)).keyCount(), remove::toString);
                    assertTrue(remove.stdout().contains("is kept: provision did not create its bucket"), remove::toString);
                }
                assertFalse(remove.all().contains(S3Server.SECRET_KEY), "the secret is never printed");
                aws.close();
            }
        }
    }

    /** stderr without the launcher's own lines (JBang says when it builds a script). */
    static String errors(Run run) {
        return run.stderr().lines().filter(l -> !l.startsWith("[jbang]")).reduce((a, b) -> a + "\n" + b).orElse("").strip();
    }
}
