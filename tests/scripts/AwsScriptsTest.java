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

    /** stderr without the launcher's own lines (JBang says when it builds a script). */
    static String errors(Run run) {
        return run.stderr().lines().filter(l -> !l.startsWith("[jbang]")).reduce((a, b) -> a + "\n" + b).orElse("").strip();
    }
}
