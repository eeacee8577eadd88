///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
// the AWS BOM keeps s3proxy's own AWS SDK modules at the version lib/store uses
//DEPS software.amazon.awssdk:bom:2.57.8@pom org.gaul:s3proxy:4.1.0
//SOURCES ../lib/store/ModelStores.java
package bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lib.store.Blobs;
import lib.store.ModelStores;
import lib.store.Publisher;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * A server's start with its model in the folder (as in the image) against pulled from a loopback
 * S3-compatible store into an empty cache, in turns: seconds to ready and to the first answer.
 * Then, in one server with a budget, the first request for a model it pulls then (cold) against
 * the next one (warm). The server runs as its exported jar (./pack.java builds it).
 *
 *   ./jbang bench/StoreStartBench.java TRACE_FOLDER SERVER_JAR [turns=3]
 */
public final class StoreStartBench {
    static final HttpClient HTTP = HttpClient.newHttpClient();

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
        Path trace = Path.of(args[0]).toAbsolutePath();
        Path jar = Path.of(args[1]).toAbsolutePath();
        int turns = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Path work = Files.createTempDirectory("store-start");
        S3Proxy proxy = S3Proxy.builder().blobStore(new FilesystemNio2BlobStore(Files.createDirectories(work.resolve("s3")).toString()))
                .endpoint(URI.create("http://127.0.0.1:0")).awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "bench", "bench-secret").build();
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
        String file;
        try (var files = Files.list(trace)) {
            file = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".pt")).findFirst().orElseThrow();
        }
        String version;
        try (Blobs store = ModelStores.open("s3://bench/models", endpoint, "us-east-1", credentials)) {
            for (String name : List.of("m", "n")) {
                Publisher.publish(store, name, trace, file, List.of(file, "tokenizer.json", "metadata.json"), "fp32", "cpu");
            }
            version = lib.store.Manifest.sha256(trace.resolve(file)).substring(0, 12);
        }
        System.out.printf(Locale.ROOT, "model file %s, %d MB%n", file, Files.size(trace.resolve(file)) >> 20);
        Map<String, String> storeEnv = Map.of("MODEL_STORE", "s3://bench/models", "S3_ENDPOINT", endpoint, "AWS_ACCESS_KEY_ID", "bench",
                "AWS_SECRET_ACCESS_KEY", "bench-secret", "AWS_REGION", "us-east-1");
        for (int turn = 1; turn <= turns; turn++) {
            double[] image = start(jar, work, Map.of("MODEL_DIR", trace.toString()), "/predictions/model0");
            Map<String, String> env = new HashMap<>(storeEnv);
            env.put("STORE_MODELS", "m@" + version);
            env.put("MODEL_CACHE_DIR", work.resolve("cache-" + turn).toString());
            double[] pulled = start(jar, work, env, "/predictions/model0");
            System.out.printf(Locale.ROOT, "turn %d: image ready %.2f s, first answer %.2f s | store ready %.2f s, first answer %.2f s"
                    + " | store/image ready %.2f%n", turn, image[0], image[1], pulled[0], pulled[1], pulled[0] / image[0]);
        }
        Map<String, String> lazy = new HashMap<>(storeEnv);
        lazy.put("STORE_MODELS", "m@" + version + ",n@" + version + "*1");
        lazy.put("MODEL_CACHE_DIR", work.resolve("cache-lazy").toString());
        lazy.put("MODEL_MEMORY_BUDGET", "2Gi");
        lazy.put("PINNED_MODELS", "m");
        Process p = server(jar, work, lazy);
        try {
            await(p, "/health/ready");
            long t0 = System.nanoTime();
            get("/predictions/n");
            double cold = (System.nanoTime() - t0) / 1e9;
            long t1 = System.nanoTime();
            get("/predictions/n");
            double warm = (System.nanoTime() - t1) / 1e9;
            System.out.printf(Locale.ROOT, "lazily pulled model: cold first request %.2f s (download, check, load), warm %.3f s%n", cold, warm);
        } finally {
            p.destroyForcibly().waitFor();
        }
        proxy.stop();
    }

    static int port;

    static Process server(Path jar, Path work, Map<String, String> env) throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true", "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("server.log").toFile());
        pb.environment().putAll(env);
        pb.environment().putAll(Map.of("PORT", Integer.toString(port), "BIND_ADDRESS", "127.0.0.1", "NUM_MODELS", "1", "QUIET", "True",
                "PROCESSOR", "cpu"));
        return pb.start();
    }

    /** Seconds from the process's start to ready, and to the first answer. */
    static double[] start(Path jar, Path work, Map<String, String> env, String path) throws Exception {
        long t0 = System.nanoTime();
        Process p = server(jar, work, env);
        try {
            await(p, "/health/ready");
            double ready = (System.nanoTime() - t0) / 1e9;
            get(path);
            return new double[] {ready, (System.nanoTime() - t0) / 1e9};
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    static void await(Process p, String path) throws Exception {
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("server exited");
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException e) {
                // not listening yet
            }
            Thread.sleep(20);
        }
    }

    static void get(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(path + ": " + r.statusCode() + " " + r.body());
        }
    }
}
