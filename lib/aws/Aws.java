package lib.aws;

//DEPS software.amazon.awssdk:cloudformation:2.57.8 software.amazon.awssdk:ecr:2.57.8 software.amazon.awssdk:sts:2.57.8
//SOURCES ../cli/CliError.java ../config/Config.java ../cli/Console.java ../cli/Shell.java

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Supplier;
import lib.cli.CliError;
import lib.cli.Console;
import lib.cli.Shell;
import lib.config.Config;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.model.AuthorizationData;
import software.amazon.awssdk.services.ecr.model.RepositoryNotFoundException;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * AWS through the SDK for Java v2: the account id (STS), ECR login and repositories,
 * CloudFormation stacks ({@link Stacks}). Credentials come only from the SDK's default chain and
 * the region only from config; neither is ever printed.
 */
public final class Aws {
    static final String NO_CREDENTIALS = "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and"
            + " AWS_SECRET_ACCESS_KEY, or run aws configure (or use an instance role)";

    /** Tests point every client at a local stub; never set outside tests. */
    static volatile URI endpointOverride;

    static {
        // the SDK logs through SLF4J: without a binding it prints a warning of its own, and its
        // info lines are noise next to the steps' output
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getenv("JDO_DEBUG") != null ? "debug" : "warn");
        }
    }

    private Aws() {
    }

    /** The registry login a container CLI needs; the password goes to the CLI through stdin. */
    public record Login(String user, String password, String endpoint) {
        @Override
        public String toString() {
            return "Login[user=" + user + ", endpoint=" + endpoint + "]";
        }
    }

    /** The account id of the caller, asked of AWS STS (Config keeps it, so once per command). */
    public static String accountId(Config config) {
        try (StsClient sts = client(StsClient.builder(), config)) {
            return call("STS GetCallerIdentity", () -> sts.getCallerIdentity().account());
        }
    }

    /** What an account that AWS could not tell shows as in a dry run's output. */
    public static final String ACCOUNT_PLACEHOLDER = "<account>";

    /**
     * For dry runs (manifests, provision --dry-run): the caller's account when AWS tells it,
     * otherwise a visible placeholder and one warning line, so a review needs no credentials.
     */
    public static String accountIdOrPlaceholder(Config config) {
        try {
            return accountId(config);
        } catch (CliError e) {
            String why = e.getMessage().lines().findFirst().orElse("no answer");
            Console.warn("account unknown (%s): ${account} is shown as %s", why, ACCOUNT_PLACEHOLDER);
            return ACCOUNT_PLACEHOLDER;
        }
    }

    /** An ECR authorization token for the configured region, decoded. */
    public static Login ecrLogin(Config config) {
        try (EcrClient ecr = client(EcrClient.builder(), config)) {
            AuthorizationData data = call("ECR GetAuthorizationToken",
                    () -> ecr.getAuthorizationToken().authorizationData().getFirst());
            return decode(data.authorizationToken(), data.proxyEndpoint());
        }
    }

    /** The token is base64 of "user:password"; the endpoint is the registry's https address. */
    static Login decode(String token, String proxyEndpoint) {
        String plain;
        try {
            plain = new String(Base64.getDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw CliError.failed("ECR returned an authorization token that is not base64");
        }
        int colon = plain.indexOf(':');
        if (colon < 1) {
            throw CliError.failed("ECR returned an authorization token without a user name");
        }
        String endpoint = proxyEndpoint.replaceFirst("^https?://", "").replaceFirst("/+$", "");
        return new Login(plain.substring(0, colon), plain.substring(colon + 1), endpoint);
    }

    /** Creates the ECR repository (with scan-on-push) when it is missing. */
    public static void ensureRepository(Config config, String repository) {
        try (EcrClient ecr = client(EcrClient.builder(), config)) {
            try {
                call("ECR DescribeRepositories", () -> ecr.describeRepositories(r -> r.repositoryNames(repository)));
            } catch (CliError e) {
                if (!(e.getCause() instanceof RepositoryNotFoundException)) {
                    throw e;
                }
                Console.step("Creating ECR repository %s in %s ...", repository, config.get("region"));
                call("ECR CreateRepository", () -> ecr.createRepository(r -> r.repositoryName(repository)
                        .imageScanningConfiguration(s -> s.scanOnPush(true))));
            }
        }
    }

    /**
     * Logs the container CLI in to ECR: `cli login --username AWS --password-stdin endpoint`, the
     * password through stdin only. registry_type=other has nothing to ask AWS for: exit 3.
     */
    public static void login(Config config, Shell shell, String cli) {
        if (!config.get("registry_type").equals("ecr")) {
            throw CliError.unsupported("registry_type=" + config.get("registry_type")
                    + ": log in yourself with `" + cli + " login <registry>`; login.java only knows ECR");
        }
        Login login = ecrLogin(config);
        Console.step("Logging %s in to %s ...", cli, login.endpoint());
        List<String> argv = new ArrayList<>(List.of(cli, "login", "--username", login.user(), "--password-stdin", login.endpoint()));
        Shell.Result result = shell.capture(argv, login.password());
        String output = result.output().replace(login.password(), "***").strip();
        if (!result.ok()) {
            throw CliError.failed(cli + " login " + login.endpoint() + " failed (exit " + result.exitCode() + ")"
                    + (output.isEmpty() ? "" : ": " + output.lines().reduce((a, b) -> b).orElse("")));
        }
        if (!output.isEmpty()) {
            Console.info("%s", output.lines().reduce((a, b) -> b).orElse(""));
        }
    }

    /** A client for the configured region; credentials are checked first so their absence reads clearly. */
    static <B extends AwsClientBuilder<B, C>, C> C client(B builder, Config config) {
        builder.region(Region.of(config.get("region"))).credentialsProvider(credentials());
        URI endpoint = endpointOverride;
        if (endpoint != null) {
            builder.endpointOverride(endpoint);
        }
        return builder.build();
    }

    static CloudFormationClient cloudFormation(Config config) {
        return client(CloudFormationClient.builder(), config);
    }

    /** The SDK's default chain (environment, profiles, SSO, container and instance roles). */
    private static AwsCredentialsProvider credentials() {
        DefaultCredentialsProvider chain = DefaultCredentialsProvider.builder().build();
        try {
            chain.resolveCredentials();
        } catch (SdkClientException e) {
            throw CliError.failed(NO_CREDENTIALS);
        }
        return chain;
    }

    /**
     * Runs one AWS call, turning SDK exceptions into one-line errors (the cause is kept for callers
     * that look at the error code). The SDK itself retries throttling and transient failures.
     */
    static <T> T call(String what, Supplier<T> request) {
        try {
            return request.get();
        } catch (AwsServiceException e) {
            String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
            String message = e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
            throw CliError.failed(what + ": " + (code == null || code.isEmpty() ? "" : code + ": ") + message, e);
        } catch (SdkClientException e) {
            if (String.valueOf(e.getMessage()).contains("Unable to load credentials")) {
                throw CliError.failed(NO_CREDENTIALS, e);
            }
            throw CliError.failed(what + ": cannot reach AWS: " + e.getMessage(), e);
        }
    }
}
