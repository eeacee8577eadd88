package support;

import java.net.URI;
import java.nio.file.Path;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-compatible server on a free loopback port (s3proxy, in this JVM), checking AWS
 * signatures against its own key pair, over its in-memory or filesystem backend.
 */
public final class S3Server implements AutoCloseable {
    public static final String ACCESS_KEY = "store-test-access";
    /** A secret no message may ever show. */
    public static final String SECRET_KEY = "s3cr3t-NEVER-PRINTED-0123456789";

    static {
        // s3proxy logs through SLF4J: to slf4j-simple (the project's binding, found first) or, on
        // another class path order, to logback; both kept to warnings
        System.setProperty("org.slf4j.simpleLogger.log.org.gaul", "warn");
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", Path.of("tests/logback-test.xml").toAbsolutePath().toString());
        }
    }

    private final S3Proxy proxy;

    private S3Server(BlobStore store, String bind) throws Exception {
        proxy = S3Proxy.builder().blobStore(store).endpoint(URI.create("http://" + bind + ":0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        proxy.start();
        while (!proxy.getState().equals("STARTED")) {
            Thread.sleep(10);
        }
    }

    /** In memory. */
    public static S3Server start() throws Exception {
        return new S3Server(new TransientNio2BlobStore(), "127.0.0.1");
    }

    /**
     * In memory, on every address of this machine, so that containers reach it through the docker
     * bridge; endpoint() still names the loopback, as a user's config would.
     */
    public static S3Server startForContainers() throws Exception {
        return new S3Server(new TransientNio2BlobStore(), "0.0.0.0");
    }

    /** Objects as files under dir (dir/bucket/key), which a test may damage on purpose. */
    public static S3Server startOn(Path dir) throws Exception {
        return new S3Server(new FilesystemNio2BlobStore(dir.toString()), "127.0.0.1");
    }

    public String endpoint() {
        return "http://127.0.0.1:" + proxy.getPort();
    }

    public StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
    }

    /** A plain client for what a test sets up or checks behind the store's back. */
    public S3Client client() {
        return S3Client.builder().endpointOverride(URI.create(endpoint())).forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(credentials()).build();
    }

    public void createBucket(String bucket) {
        try (S3Client s3 = client()) {
            s3.createBucket(r -> r.bucket(bucket));
        }
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
    }
}
