package lib.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.nio.file.attribute.PosixFilePermissions;
import lib.cli.CliError;
import lib.cli.Shell;
import lib.config.Config;
import lib.image.Images;
import org.junit.jupiter.api.Test;
import support.AwsStub.Request;

/** STS account, ECR token, repositories and the container CLI login against the stub. */
class AwsEcrTest extends AwsTestBase {
    static final String PASSWORD = "ecr-password-from-the-token";
    static final String ENDPOINT = "123456789012.registry.test";

    void tokenAnswer() {
        String token = Base64.getEncoder().encodeToString(("AWS:" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        stub.json("GetAuthorizationToken", "{\"authorizationData\":[{\"authorizationToken\":\"" + token
                + "\",\"expiresAt\":1.7E9,\"proxyEndpoint\":\"https://" + ENDPOINT + "\"}]}");
    }

    @Test
    void theAccountComesFromStsOncePerCommand() {
        stub.query("GetCallerIdentity", "<Arn>arn:aws:iam::123456789012:user/u</Arn><UserId>U</UserId><Account>123456789012</Account>");
        Config config = config();
        assertEquals("123456789012", config.get("account"));
        assertTrue(config.get("registry").startsWith("123456789012.dkr.ecr.us-west-2."), config.get("registry"));
        assertEquals(1, stub.requests("GetCallerIdentity").size(), "asked once, then kept");
        assertEquals("2011-06-15", stub.requests().getFirst().param("Version"));
    }

    @Test
    void throttlingIsRetriedBySdk() {
        stub.queryError("GetCallerIdentity", 400, "Throttling", "Rate exceeded")
                .query("GetCallerIdentity", "<Account>210987654321</Account>");
        assertEquals("210987654321", Aws.accountId(config()));
        assertEquals(2, stub.requests("GetCallerIdentity").size());
    }

    @Test
    void anAccessErrorIsOneLineNamingTheCall() {
        stub.queryError("GetCallerIdentity", 403, "InvalidClientTokenId", "The security token included in the request is invalid.");
        CliError error = assertThrows(CliError.class, () -> Aws.accountId(config()));
        assertEquals(CliError.FAILED, error.exitCode());
        assertEquals("STS GetCallerIdentity: InvalidClientTokenId: The security token included in the request is invalid.", error.getMessage());
    }

    @Test
    void missingCredentialsAreOneClearLineAndNothingIsSent() {
        assumeTrue(System.getenv("AWS_ACCESS_KEY_ID") == null && System.getenv("AWS_PROFILE") == null
                && System.getenv("AWS_WEB_IDENTITY_TOKEN_FILE") == null && System.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") == null
                && System.getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") == null, "the test environment has AWS credentials of its own");
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
        System.setProperty("aws.sharedCredentialsFile", dir.resolve("no-credentials").toString());
        System.setProperty("aws.configFile", dir.resolve("no-config").toString());
        System.setProperty("aws.disableEc2Metadata", "true");

        CliError error = assertThrows(CliError.class, () -> Aws.ecrLogin(config()));
        assertEquals(CliError.FAILED, error.exitCode());
        assertEquals(Aws.NO_CREDENTIALS, error.getMessage());
        assertFalse(error.getMessage().contains("\n"));
        assertTrue(stub.requests().isEmpty());
    }

    @Test
    void ecrLoginDecodesTheToken() {
        tokenAnswer();
        Aws.Login login = Aws.ecrLogin(config());
        assertEquals(new Aws.Login("AWS", PASSWORD, ENDPOINT), login);
        assertFalse(login.toString().contains(PASSWORD), "the password never shows in a log line");
        Request request = stub.requests().getFirst();
        assertEquals("AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", request.headers().get("x-amz-target"));
    }

    @Test
    void aMalformedTokenIsAClearError() {
        assertThrows(CliError.class, () -> Aws.decode("not base64!", "https://x"));
        CliError error = assertThrows(CliError.class,
                () -> Aws.decode(Base64.getEncoder().encodeToString("no-colon".getBytes(StandardCharsets.UTF_8)), "https://x"));
        assertFalse(error.getMessage().contains("no-colon"));
    }

    @Test
    void aMissingRepositoryIsCreatedWithScanOnPush() {
        stub.jsonError("DescribeRepositories", 400, "RepositoryNotFoundException", "The repository does not exist");
        stub.json("CreateRepository", "{\"repository\":{\"repositoryName\":\"aws-do-inference-base\"}}");

        Aws.ensureRepository(config(), "aws-do-inference-base");

        assertEquals(java.util.List.of("DescribeRepositories", "CreateRepository"), stub.operations());
        assertTrue(stub.requests("DescribeRepositories").getFirst().body().contains("\"repositoryNames\":[\"aws-do-inference-base\"]"));
        String create = stub.requests("CreateRepository").getFirst().body();
        assertTrue(create.contains("\"repositoryName\":\"aws-do-inference-base\""), create);
        assertTrue(create.contains("\"imageScanningConfiguration\":{\"scanOnPush\":true}"), create);
    }

    @Test
    void anExistingRepositoryIsLeftAlone() {
        stub.json("DescribeRepositories", "{\"repositories\":[{\"repositoryName\":\"test-tiny-bert-qa\"}]}");
        Aws.ensureRepository(config(), "test-tiny-bert-qa");
        assertEquals(java.util.List.of("DescribeRepositories"), stub.operations());
    }

    @Test
    void otherRepositoryErrorsAreNotMistakenForAMissingRepository() {
        stub.jsonError("DescribeRepositories", 400, "AccessDeniedException", "not allowed");
        CliError error = assertThrows(CliError.class, () -> Aws.ensureRepository(config(), "x"));
        assertTrue(error.getMessage().contains("AccessDeniedException"), error.getMessage());
        assertTrue(stub.requests("CreateRepository").isEmpty());
    }

    /** A stand-in container CLI that writes down its arguments and its stdin. */
    Path fakeCli(int exitCode, String says) throws IOException {
        Path cli = dir.resolve("fake-docker");
        Files.writeString(cli, "#!/bin/sh\necho \"$@\" > '" + dir.resolve("args") + "'\ncat > '" + dir.resolve("stdin") + "'\n"
                + "echo '" + says + "'\nexit " + exitCode + "\n");
        Files.setPosixFilePermissions(cli, PosixFilePermissions.fromString("rwx------"));
        return cli;
    }

    @Test
    void loginPassesThePasswordThroughStdinOnly() throws IOException {
        tokenAnswer();
        Path cli = fakeCli(0, "Login Succeeded");

        Aws.login(config(), new Shell(true), cli.toString());

        assertEquals("login --username AWS --password-stdin " + ENDPOINT, Files.readString(dir.resolve("args")).strip());
        assertEquals(PASSWORD, Files.readString(dir.resolve("stdin")));
        assertTrue(printed().contains("--password-stdin " + ENDPOINT), "the command is shown: " + printed());
        assertTrue(printed().contains("Login Succeeded"), printed());
        assertFalse(printed().contains(PASSWORD), printed());
        assertFalse(printed().contains(SECRET_KEY), printed());
    }

    @Test
    void aFailedLoginSaysSoWithoutThePassword() throws IOException {
        tokenAnswer();
        Path cli = fakeCli(1, "Error: cannot reach " + ENDPOINT + " with " + PASSWORD);
        CliError error = assertThrows(CliError.class, () -> Aws.login(config(), new Shell(false), cli.toString()));
        assertEquals(CliError.FAILED, error.exitCode());
        assertTrue(error.getMessage().contains("failed (exit 1)"), error.getMessage());
        assertFalse(error.getMessage().contains(PASSWORD), error.getMessage());
    }

    @Test
    void anEcrPushCreatesTheRepositoryLogsInThenPushes() throws IOException {
        stub.jsonError("DescribeRepositories", 400, "RepositoryNotFoundException", "The repository does not exist");
        stub.json("CreateRepository", "{\"repository\":{\"repositoryName\":\"aws-do-inference-base\"}}");
        tokenAnswer();
        Path calls = dir.resolve("calls");
        Path cli = dir.resolve("recording-docker");
        // only login reads stdin (the password); push must not wait for input it never gets
        Files.writeString(cli, "#!/bin/sh\necho \"$@\" >> '" + calls + "'\n[ \"$1\" = login ] && cat > /dev/null\nexit 0\n");
        Files.setPosixFilePermissions(cli, PosixFilePermissions.fromString("rwx------"));

        new Images(config(Map.of("account", "123456789012")), cli.toString()).push(Images.Kind.BASE);

        assertEquals(java.util.List.of("DescribeRepositories", "CreateRepository", "GetAuthorizationToken"), stub.operations());
        java.util.List<String> argv = Files.readAllLines(calls);
        assertEquals("login --username AWS --password-stdin " + ENDPOINT, argv.get(argv.size() - 2), argv.toString());
        assertTrue(argv.getLast().startsWith("push 123456789012.dkr.ecr.us-west-2.amazonaws.com/aws-do-inference-base:"), argv.toString());
    }

    @Test
    void otherRegistriesAreLeftToTheUser() {
        CliError error = assertThrows(CliError.class,
                () -> Aws.login(config(Map.of("registry_type", "other")), new Shell(false), "podman"));
        assertEquals(CliError.UNSUPPORTED, error.exitCode());
        assertTrue(error.getMessage().contains("podman login"), error.getMessage());
        assertTrue(stub.requests().isEmpty());
        assertTrue(Set.of(0, 3).contains(error.exitCode()));
    }
}
