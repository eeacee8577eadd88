package lib;

//DEPS software.amazon.awssdk:cloudformation:2.57.8
//DEPS software.amazon.awssdk:ecr:2.57.8
//DEPS software.amazon.awssdk:sts:2.57.8

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.model.AuthorizationData;
import software.amazon.awssdk.services.ecr.model.RepositoryNotFoundException;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * AWS through the SDK for Java v2: the account id (STS), ECR login and repositories, and the
 * CloudFormation client for {@link Stacks}. Credentials come only from the SDK's default provider
 * chain and the region from config; nothing secret is printed. JDO_AWS_ENDPOINT (environment or
 * system property) points every client at another endpoint: the tests' local stub.
 */
public final class Aws {
    private Aws() {
    }

    /** The registry login a container CLI needs; the password goes to the CLI through stdin. */
    public record Login(String user, String password, String endpoint) {
        @Override
        public String toString() {
            return "Login[user=" + user + ", endpoint=" + endpoint + "]";
        }
    }

    /** A client of the configured region, or of the test endpoint when one is set. */
    static <B extends AwsClientBuilder<B, C>, C> C client(Config config, B builder) {
        builder.region(Region.of(config.get("region")));
        String endpoint = System.getProperty("JDO_AWS_ENDPOINT", System.getenv("JDO_AWS_ENDPOINT"));
        if (endpoint != null && !endpoint.isBlank()) {
            builder.endpointOverride(URI.create(endpoint));
        }
        return builder.build();
    }

    /** Runs an AWS call; missing credentials and service errors become one line. */
    static <T> T call(String what, Supplier<T> call) {
        try {
            return call.get();
        } catch (SdkClientException e) {
            String message = String.valueOf(e.getMessage());
            if (message.contains("credentials") || message.contains("Credentials")) {
                throw CliError.failed("no AWS credentials found (" + what + "): set AWS_PROFILE or AWS_ACCESS_KEY_ID and"
                        + " AWS_SECRET_ACCESS_KEY, or run aws configure");
            }
            throw CliError.failed(what + " failed: " + firstLine(message));
        } catch (SdkException e) {
            throw CliError.failed(what + " failed: " + firstLine(e.getMessage()));
        }
    }

    static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    /** The account id of the caller, asked of AWS STS once per command (Config caches it). */
    public static String accountId(Config config) {
        try (StsClient sts = client(config, StsClient.builder())) {
            String account = call("asking AWS STS for the account", () -> sts.getCallerIdentity().account());
            if (account == null || account.isBlank()) {
                throw CliError.failed("AWS STS did not say which account this is; set account=<id> in config.properties");
            }
            return account;
        }
    }

    /** An ECR authorization token for the configured region, decoded into user and password. */
    public static Login ecrLogin(Config config) {
        try (EcrClient ecr = client(config, EcrClient.builder())) {
            AuthorizationData data = call("getting an ECR token", () -> ecr.getAuthorizationToken().authorizationData().get(0));
            String decoded = new String(Base64.getDecoder().decode(data.authorizationToken()), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return new Login(decoded.substring(0, colon), decoded.substring(colon + 1), data.proxyEndpoint());
        }
    }

    /** Creates the ECR repository (with scan-on-push) when it is missing; true when it created one. */
    public static boolean ensureRepository(Config config, String repository) {
        try (EcrClient ecr = client(config, EcrClient.builder())) {
            boolean exists = call("looking up ECR repository " + repository, () -> {
                try {
                    ecr.describeRepositories(r -> r.repositoryNames(repository));
                    return true;
                } catch (RepositoryNotFoundException e) {
                    return false;
                }
            });
            if (exists) {
                return false;
            }
            call("creating ECR repository " + repository, () -> ecr.createRepository(r -> r.repositoryName(repository)
                    .imageScanningConfiguration(s -> s.scanOnPush(true))));
            Console.info("created ECR repository %s (scan on push)", repository);
            return true;
        }
    }

    public static CloudFormationClient cloudFormation(Config config) {
        return client(config, CloudFormationClient.builder());
    }
}
