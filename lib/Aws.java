package lib;

/**
 * AWS through the SDK for Java v2: the account id (STS), ECR login and repositories,
 * CloudFormation stacks. Credentials and region come only from the SDK's default chains and config.
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

    /** The account id of the caller, asked of AWS STS once per command. */
    public static String accountId(Config config) {
        throw CliError.unsupported("account is empty and deriving it from AWS STS arrives with issue #8;"
                + " set account=<id> in config.properties, or registry= (empty) to keep images local");
    }

    /** An ECR authorization token for the configured region. */
    public static Login ecrLogin(Config config) {
        throw CliError.unsupported("ECR login arrives with issue #8 (AWS)");
    }

    /** Creates the ECR repository (with scan-on-push) when it is missing. */
    public static void ensureRepository(Config config, String repository) {
        throw CliError.unsupported("creating ECR repositories arrives with issue #8 (AWS)");
    }
}
