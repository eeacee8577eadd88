///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
// the AWS BOM keeps s3proxy's own AWS SDK modules at the version lib/store uses
//DEPS software.amazon.awssdk:bom:2.57.8@pom org.gaul:s3proxy:4.1.0
//SOURCES ../lib/store/ModelStores.java
package bench;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import lib.store.Blobs;
import lib.store.ModelCache;
import lib.store.ModelPuller;
import lib.store.ModelStores;
import lib.store.Publisher;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Pulling a model from a loopback S3-compatible store (s3proxy on its filesystem backend, through
 * the AWS SDK v2 and ModelPuller: download, SHA-256 check, rename) against a plain file copy of the
 * same bytes, in turns; each pull into an emptied cache.
 *
 *   ./jbang bench/StoreBench.java [model file or MB of random bytes=540] [turns=3]
 */
public final class StoreBench {
    public static void main(String... args) {
        // s3proxy's threads would keep the JVM (and the shared bench lock) after a failure
        try {
            run(args);
            System.exit(0);
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
    }

    static void run(String... args) throws Exception {
        String what = args.length > 0 ? args[0] : "540";
        int turns = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        Path work = Files.createTempDirectory("store-bench");
        try {
            Path model = Files.createDirectories(work.resolve("model"));
            if (what.matches("\\d+")) {
                byte[] chunk = new byte[1 << 20];
                Random random = new Random(1);
                try (var out = Files.newOutputStream(model.resolve("m.pt"))) {
                    for (int i = 0; i < Integer.parseInt(what); i++) {
                        random.nextBytes(chunk);
                        out.write(chunk);
                    }
                }
            } else {
                Files.copy(Path.of(what), model.resolve("m.pt"));
            }
            Files.writeString(model.resolve("tokenizer.json"), "{}");
            Files.writeString(model.resolve("metadata.json"), "{}");
            long bytes = Files.size(model.resolve("m.pt"));
            S3Proxy proxy = S3Proxy.builder().blobStore(new FilesystemNio2BlobStore(Files.createDirectories(work.resolve("s3")).toString()))
                    .endpoint(URI.create("http://127.0.0.1:0")).awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "bench", "bench-secret")
                    .build();
            proxy.start();
            while (!proxy.getState().equals("STARTED")) {
                Thread.sleep(10);
            }
            String endpoint = "http://127.0.0.1:" + proxy.getPort();
            var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("bench", "bench-secret"));
            try (var s3 = software.amazon.awssdk.services.s3.S3Client.builder().endpointOverride(URI.create(endpoint)).forcePathStyle(true)
                    .region(software.amazon.awssdk.regions.Region.US_EAST_1).credentialsProvider(credentials).build()) {
                s3.createBucket(r -> r.bucket("bench"));
            }
            try (Blobs store = ModelStores.open("s3://bench/models", endpoint, "us-east-1", credentials)) {
                String version = Publisher.publish(store, "m", model, "m.pt", List.of("m.pt", "tokenizer.json", "metadata.json"), "fp32", "cpu")
                        .entry().version();
                System.out.printf(Locale.ROOT, "%d MB model file; %s%n", bytes >> 20, endpoint);
                for (int turn = 1; turn <= turns; turn++) {
                    Path cache = work.resolve("cache-" + turn);
                    long t0 = System.nanoTime();
                    ModelPuller.Pulled p = new ModelPuller(store, new ModelCache(cache, 1L << 40)).pull("m", version);
                    double pull = (System.nanoTime() - t0) / 1e9;
                    Path copy = work.resolve("copy-" + turn);
                    long t1 = System.nanoTime();
                    Files.copy(model.resolve("m.pt"), copy, StandardCopyOption.REPLACE_EXISTING);
                    double plain = (System.nanoTime() - t1) / 1e9;
                    System.out.printf(Locale.ROOT, "turn %d: pull %.2f s (%.0f MB/s, verified), plain copy %.2f s (%.0f MB/s): pull/copy %.2f%n",
                            turn, pull, p.bytes() / 1e6 / pull, plain, bytes / 1e6 / plain, pull / plain);
                    Files.delete(copy);
                    deleteTree(cache);
                }
            }
            proxy.stop();
        } finally {
            deleteTree(work);
        }
    }

    static void deleteTree(Path p) throws java.io.IOException {
        if (Files.exists(p)) {
            try (var files = Files.walk(p)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
    }
}
