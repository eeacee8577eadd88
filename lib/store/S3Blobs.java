package lib.store;

//DEPS software.amazon.awssdk:s3:2.57.8
//SOURCES Blobs.java StoreException.java StoreLocation.java

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * A store in an S3 bucket under a prefix, through the AWS SDK v2. With an endpoint (MinIO, Ceph,
 * a test's s3proxy) requests are path-style and checksums only where S3 requires them, which every
 * S3-compatible server accepts; the store checks SHA-256 itself. Credentials come from the SDK's
 * default chain (or the caller's provider) and never appear in a message.
 */
final class S3Blobs implements Blobs {
    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final String where;

    S3Blobs(StoreLocation.S3 location, String endpoint, String region, AwsCredentialsProvider credentials) {
        this.bucket = location.bucket();
        this.prefix = location.prefix().isEmpty() ? "" : location.prefix() + "/";
        this.where = location + (endpoint == null || endpoint.isBlank() ? "" : " at " + endpoint);
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(region == null || region.isBlank() ? defaultRegion() : region))
                .credentialsProvider(credentials == null ? DefaultCredentialsProvider.builder().build() : credentials);
        if (endpoint != null && !endpoint.isBlank()) {
            builder.endpointOverride(URI.create(endpoint.strip())).forcePathStyle(true)
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        }
        this.s3 = builder.build();
    }

    /** The region of AWS_REGION or the profile; us-east-1 where none is set (S3-compatible servers ignore it). */
    private static String defaultRegion() {
        try {
            return new DefaultAwsRegionProviderChain().getRegion().id();
        } catch (SdkClientException e) {
            return "us-east-1";
        }
    }

    @Override
    public OptionalLong size(String key) {
        try {
            return OptionalLong.of(call(key, () -> s3.headObject(r -> r.bucket(bucket).key(prefix + key)).contentLength()));
        } catch (StoreException e) {
            if (e.kind() == StoreException.Kind.MISSING) {
                return OptionalLong.empty();
            }
            throw e;
        }
    }

    @Override
    public InputStream open(String key) {
        return call(key, () -> s3.getObject(r -> r.bucket(bucket).key(prefix + key)));
    }

    @Override
    public Optional<byte[]> read(String key) {
        return get(key).map(ResponseBytes::asByteArray);
    }

    /** The object and its response (its ETag), or empty when there is no such object (a missing bucket throws). */
    private Optional<ResponseBytes<GetObjectResponse>> get(String key) {
        try {
            return Optional.of(call(key, () -> s3.getObjectAsBytes(r -> r.bucket(bucket).key(prefix + key))));
        } catch (StoreException e) {
            if (e.kind() == StoreException.Kind.MISSING && !e.getMessage().startsWith("no bucket")) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public void write(String key, Path file) {
        call(key, () -> s3.putObject(r -> r.bucket(bucket).key(prefix + key), RequestBody.fromFile(file)));
    }

    @Override
    public void write(String key, byte[] bytes) {
        call(key, () -> s3.putObject(r -> r.bucket(bucket).key(prefix + key).contentType("application/json"),
                RequestBody.fromBytes(bytes)));
    }

    /** Reads of an object that changed under each conditional write before update gives up. */
    static final int UPDATE_ATTEMPTS = 10;

    /**
     * Read, change, then a conditional PUT (If-Match the ETag read, If-None-Match * when there was
     * none); 412 (another writer came first) or 409 (one is writing) reads again after a short
     * random pause. A server that does not implement conditional writes (501) gets a plain write.
     */
    @Override
    public boolean update(String key, java.util.function.Function<Optional<byte[]>, byte[]> change) {
        for (int attempt = 1; ; attempt++) {
            Optional<ResponseBytes<GetObjectResponse>> current = get(key);
            byte[] next = change.apply(current.map(ResponseBytes::asByteArray));
            if (next == null) {
                return false;
            }
            String etag = current.map(c -> c.response().eTag()).orElse(null);
            int status = call(key, () -> {
                try {
                    s3.putObject(r -> {
                        r.bucket(bucket).key(prefix + key).contentType("application/json");
                        if (etag == null) {
                            r.ifNoneMatch("*");
                        } else {
                            r.ifMatch(etag);
                        }
                    }, RequestBody.fromBytes(next));
                    return 200;
                } catch (AwsServiceException e) {
                    if (e.statusCode() == 412 || e.statusCode() == 409 || e.statusCode() == 501) {
                        return e.statusCode();
                    }
                    throw e;
                }
            });
            if (status == 200) {
                return true;
            }
            if (status == 501) {
                write(key, next);
                return true;
            }
            if (attempt == UPDATE_ATTEMPTS) {
                throw new StoreException(StoreException.Kind.UNREACHABLE, key + " in " + where + " changed under each of "
                        + UPDATE_ATTEMPTS + " conditional writes (other publishers): try again");
            }
            try {
                Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextLong(20, 50L * attempt + 20));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException(StoreException.Kind.UNREACHABLE, "interrupted while updating " + key + " in " + where);
            }
        }
    }

    /** Deletes every object of the bucket (all prefixes, a page at a time), then the bucket; returns how many objects went. */
    long deleteBucket() {
        long deleted = 0;
        while (true) {
            var page = call("", () -> s3.listObjectsV2(r -> r.bucket(bucket).maxKeys(1000)));
            if (page.contents().isEmpty()) {
                break;
            }
            var ids = page.contents().stream()
                    .map(o -> software.amazon.awssdk.services.s3.model.ObjectIdentifier.builder().key(o.key()).build()).toList();
            var result = call("", () -> s3.deleteObjects(r -> r.bucket(bucket).delete(d -> d.objects(ids).quiet(true))));
            if (!result.errors().isEmpty()) {
                var e = result.errors().getFirst();
                throw new StoreException(StoreException.Kind.FORBIDDEN, "cannot delete " + e.key() + " in s3://" + bucket + ": "
                        + e.code() + " (" + result.errors().size() + " objects refused)");
            }
            deleted += ids.size();
        }
        call("", () -> s3.deleteBucket(r -> r.bucket(bucket)));
        return deleted;
    }

    @Override
    public void probe() {
        call("", () -> s3.listObjectsV2(r -> r.bucket(bucket).prefix(prefix).maxKeys(1)));
    }

    @Override
    public String describe() {
        return where;
    }

    @Override
    public void close() {
        s3.close();
    }

    /** One S3 request, its failure turned into the StoreException a caller acts on. */
    private <T> T call(String key, Supplier<T> request) {
        String object = key.isEmpty() ? where : key + " in " + where;
        try {
            return request.get();
        } catch (NoSuchKeyException e) {
            throw new StoreException(StoreException.Kind.MISSING, "no " + object);
        } catch (AwsServiceException e) {
            String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
            int status = e.statusCode();
            if ("NoSuchBucket".equals(code)) {
                throw new StoreException(StoreException.Kind.MISSING, "no bucket " + bucket + " (" + where + ")");
            }
            if (status == 404) {
                throw new StoreException(StoreException.Kind.MISSING, "no " + object);
            }
            if ("InvalidAccessKeyId".equals(code) || "SignatureDoesNotMatch".equals(code) || "ExpiredToken".equals(code)
                    || "InvalidToken".equals(code)) {
                throw new StoreException(StoreException.Kind.FORBIDDEN, where + " rejected the credentials (" + code
                        + "): check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the pod's role");
            }
            if (status == 403) {
                throw new StoreException(StoreException.Kind.FORBIDDEN, "access denied to " + object
                        + (code == null ? "" : " (" + code + ")") + ": the identity needs s3:GetObject and s3:ListBucket on the prefix");
            }
            if (status >= 500 || status == 0) {
                throw new StoreException(StoreException.Kind.UNREACHABLE, where + " answered " + status
                        + (code == null ? "" : " " + code), e);
            }
            throw new StoreException(StoreException.Kind.CORRUPT, object + ": " + status + (code == null ? "" : " " + code), e);
        } catch (SdkClientException e) {
            String message = String.valueOf(e.getMessage());
            if (message.contains("Unable to load credentials")) {
                throw new StoreException(StoreException.Kind.NO_CREDENTIALS, noCredentials(where, message));
            }
            throw new StoreException(StoreException.Kind.UNREACHABLE, "cannot reach " + where + ": "
                    + message.lines().findFirst().orElse(""), e);
        }
    }

    private static final Pattern PROVIDER = Pattern.compile("(\\w+)CredentialsProvider\\(");

    /** One line naming the providers the SDK's default chain tried, from its own message (which holds no secret). */
    static String noCredentials(String where, String sdkMessage) {
        Set<String> tried = new LinkedHashSet<>();
        Matcher m = PROVIDER.matcher(sdkMessage);
        while (m.find()) {
            if (!m.group(1).endsWith("Chain")) {
                tried.add(m.group(1));
            }
        }
        return "no AWS credentials for " + where + ": the SDK's default chain tried "
                + (tried.isEmpty() ? "its providers" : String.join(", ", tried))
                + "; set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give the pod its role";
    }
}
