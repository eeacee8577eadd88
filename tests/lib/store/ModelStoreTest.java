package lib.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import support.S3Server;

/**
 * The model store against a real S3-compatible server on loopback (s3proxy, through the AWS SDK's
 * S3 client) and against a folder, the same tests for both: publish, index merge, re-push, pull
 * with verification, the disk cache's bound, refused escapes, and the failures' messages.
 */
class ModelStoreTest {
    enum Backend { S3, FOLDER }

    static S3Server s3;
    static final AtomicInteger BUCKETS = new AtomicInteger();

    @TempDir
    Path tmp;
    S3Client raw;
    String bucket;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3Server.start();
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    /** A fresh empty store, wrapped so that the test counts what reaches it. */
    Counting open(Backend backend) {
        if (backend == Backend.S3) {
            bucket = "models-" + BUCKETS.incrementAndGet();
            s3.createBucket(bucket);
            raw = s3.client();
            return new Counting(ModelStores.open("s3://" + bucket + "/team/store", s3.endpoint(), "us-east-1", s3.credentials()));
        }
        return new Counting(ModelStores.open(ModelStores.createFolder(tmp.resolve("store").toString()), "", null));
    }

    /** Damages an object behind the store's back. */
    void overwrite(Backend backend, String key, byte[] bytes) throws Exception {
        if (backend == Backend.S3) {
            raw.putObject(r -> r.bucket(bucket).key("team/store/" + key), RequestBody.fromBytes(bytes));
        } else {
            Files.write(tmp.resolve("store").resolve(key), bytes);
        }
    }

    /** A traced-model folder: a .pt of random bytes (seeded), tokenizer.json, metadata.json. */
    Path model(String name, int bytes, long seed) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("trace-" + name + "-" + seed));
        byte[] pt = new byte[bytes];
        new Random(seed).nextBytes(pt);
        Files.write(dir.resolve(name + ".pt"), pt);
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\":\"" + name + "\"}");
        Files.writeString(dir.resolve("metadata.json"), "{\"file\":\"" + name + ".pt\",\"precision\":\"fp32\"}");
        return dir;
    }

    static Publisher.Published publish(Blobs blobs, String name, Path dir) {
        return Publisher.publish(blobs, name, dir, name + ".pt", List.of(name + ".pt", "tokenizer.json", "metadata.json"), "fp32", "cpu");
    }

    ModelPuller puller(Blobs blobs, long cacheBytes) {
        return new ModelPuller(blobs, new ModelCache(tmp.resolve("cache"), cacheBytes));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aPublishedModelIsPulledWithTheSameBytesAndThenComesFromTheCache(Backend backend) throws Exception {
        Counting store = open(backend);
        Path dir = model("tiny", 50_000, 1);
        Publisher.Published published = publish(store, "tiny", dir);
        String version = Manifest.sha256(dir.resolve("tiny.pt")).substring(0, 12);
        assertEquals(new StoreIndex.Entry("tiny", version, 50_000 + Files.size(dir.resolve("tokenizer.json"))
                + Files.size(dir.resolve("metadata.json")), "fp32", "cpu"), published.entry());
        assertEquals(3, published.filesUploaded());
        assertEquals(List.of(published.entry()), StoreIndex.read(store).entries());

        ModelPuller puller = puller(store, 1 << 20);
        ModelPuller.Pulled first = puller.pull("tiny", version);
        assertFalse(first.cacheHit());
        assertEquals(published.entry().size(), first.bytes());
        for (String f : List.of("tiny.pt", "tokenizer.json", "metadata.json")) {
            assertArrayEquals(Files.readAllBytes(dir.resolve(f)), Files.readAllBytes(first.dir().resolve(f)), f);
        }
        assertEquals(tmp.resolve("cache").resolve("tiny").resolve(version), first.dir());
        int opens = store.opens.get();
        ModelPuller.Pulled second = puller.pull("tiny", version);
        assertTrue(second.cacheHit());
        assertEquals("cache", second.source());
        assertEquals(opens, store.opens.get(), "a cache hit reads nothing from the store");
        assertEquals(new ModelPuller.Stats(1, 1, published.entry().size(), first.millis()), puller.stats("tiny"));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void publishingMergesTheIndexAndAnUnchangedRePushUploadsNothing(Backend backend) throws Exception {
        Counting store = open(backend);
        Path a = model("a", 10_000, 1);
        publish(store, "a", a);
        Publisher.Published b = publish(store, "b", model("b", 10_000, 2));
        assertEquals(List.of("a", "b"), StoreIndex.read(store).names());

        store.writes.set(0);
        Publisher.Published again = publish(store, "a", a);
        assertEquals(0, again.filesUploaded());
        assertFalse(again.indexWritten());
        assertEquals(0, store.writes.get(), "an unchanged re-push writes nothing to the store");

        Publisher.Published changed = publish(store, "a", model("a", 10_000, 3));
        assertNotEquals(again.entry().version(), changed.entry().version());
        StoreIndex index = StoreIndex.read(store);
        assertEquals(Optional.of(changed.entry()), index.find("a"));
        assertEquals(Optional.of(b.entry()), index.find("b"), "b's entry kept");
        // the old version stays in the store: running servers pinned to it can still pull it
        assertTrue(store.size("a/" + again.entry().version() + "/a.pt").isPresent());
    }

    /**
     * Publisher b merges its entry while publisher a is between reading the index and writing it:
     * on S3, a's conditional write is refused (412) and a reads again; on a folder, b waits for a's
     * lock. Both entries stay, whether the index did not exist yet (If-None-Match) or did (If-Match).
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void aPublisherBetweenAnotherOnesIndexReadAndWriteLosesNoEntry(Backend backend) throws Exception {
        Counting store = open(backend);
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            for (String[] pair : List.of(new String[] {"a", "b"}, new String[] {"c", "d"})) {
                Path inner = model(pair[1], 1_000, pair[1].charAt(0));
                StoreIndex.Entry outer = new StoreIndex.Entry(pair[0], "0123456789ab", 1, "fp32", "cpu");
                AtomicInteger reads = new AtomicInteger();
                boolean[] innerDoneMeanwhile = {false};
                Future<?>[] b = new Future<?>[1];
                assertTrue(store.update(StoreIndex.FILE, current -> {
                    if (reads.incrementAndGet() == 1) {
                        b[0] = other.submit(() -> publish(store, pair[1], inner));
                        try {
                            b[0].get(1, java.util.concurrent.TimeUnit.SECONDS);
                            innerDoneMeanwhile[0] = true;
                        } catch (java.util.concurrent.TimeoutException e) {
                            innerDoneMeanwhile[0] = false;
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    }
                    return current.map(x -> StoreIndex.parse(x, "index")).orElse(StoreIndex.empty()).with(outer).toJson();
                }));
                b[0].get();
                StoreIndex index = StoreIndex.read(store);
                assertEquals(Optional.of(outer), index.find(pair[0]), pair[0] + " written");
                assertTrue(index.find(pair[1]).isPresent(), pair[1] + "'s entry is not lost: " + index.names());
                if (backend == Backend.S3) {
                    assertTrue(innerDoneMeanwhile[0], "nothing holds the other publisher on S3");
                    assertEquals(2, reads.get(), "the conditional write was refused, so the index was read again");
                } else {
                    assertFalse(innerDoneMeanwhile[0], "the other publisher waits for the lock");
                    assertEquals(1, reads.get());
                }
            }
        } finally {
            other.shutdownNow();
        }
    }

    /** remove.java on a bucket provision created: every object of the bucket goes, in and outside the prefix, then the bucket. */
    @Test
    void aBucketIsEmptiedThenDeleted() throws Exception {
        Counting store = open(Backend.S3);
        publish(store, "a", model("a", 1_000, 1));
        publish(store, "b", model("b", 1_000, 2));
        raw.putObject(r -> r.bucket(bucket).key("elsewhere/x"), RequestBody.fromBytes(new byte[] {1}));
        assertEquals(10, ((S3Blobs) store.inner).deleteBucket(), "2 x (3 files and a manifest), the index, elsewhere/x");
        assertThrows(software.amazon.awssdk.services.s3.model.NoSuchBucketException.class, () -> raw.headBucket(r -> r.bucket(bucket)));
    }

    /** Several publishers at once on a folder store (on S3 see above: s3proxy checks a condition apart from the write). */
    @Test
    void publishersRacingOnAFolderStoreKeepEveryEntry() throws Exception {
        Counting store = open(Backend.FOLDER);
        int n = 6;
        List<Path> dirs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            dirs.add(model("m" + i, 1_000, i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Publisher.Published>> done = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            done.add(pool.submit(() -> {
                start.await();
                return publish(store, "m" + k, dirs.get(k));
            }));
        }
        start.countDown();
        for (Future<Publisher.Published> f : done) {
            assertTrue(f.get().indexWritten());
        }
        pool.shutdown();
        assertEquals(List.of("m0", "m1", "m2", "m3", "m4", "m5"), StoreIndex.read(store).names());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aCorruptOrTruncatedObjectIsRefusedByItsChecksumAndNeverReachesTheCache(Backend backend) throws Exception {
        Counting store = open(backend);
        Path dir = model("m", 20_000, 1);
        String version = publish(store, "m", dir).entry().version();
        byte[] damaged = Files.readAllBytes(dir.resolve("m.pt"));
        damaged[12_345] ^= 1;
        overwrite(backend, "m/" + version + "/m.pt", damaged);
        ModelPuller puller = puller(store, 1 << 20);
        StoreException e = assertThrows(StoreException.class, () -> puller.pull("m", version));
        assertEquals(StoreException.Kind.CORRUPT, e.kind());
        assertTrue(e.getMessage().contains("m@" + version + ": m.pt") && e.getMessage().contains("refused"), e.getMessage());
        assertNothingCached();

        overwrite(backend, "m/" + version + "/m.pt", java.util.Arrays.copyOf(damaged, 19_000));
        assertEquals(StoreException.Kind.CORRUPT, assertThrows(StoreException.class, () -> puller.pull("m", version)).kind());
        assertNothingCached();
    }

    void assertNothingCached() throws Exception {
        try (Stream<Path> files = Files.walk(tmp.resolve("cache"))) {
            assertEquals(List.of(), files.filter(Files::isRegularFile).toList(), "no file of a refused pull is kept");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void theDiskCacheKeepsTheMostRecentlyUsedVersionsUnderItsBound(Backend backend) throws Exception {
        Counting store = open(backend);
        Map<String, String> versions = new java.util.TreeMap<>();
        for (String name : List.of("a", "b", "c")) {
            versions.put(name, publish(store, name, model(name, 30_000, name.charAt(0))).entry().version());
        }
        long each = StoreIndex.read(store).find("a").orElseThrow().size();
        ModelPuller puller = puller(store, each * 2 + each / 2);
        puller.pull("a", versions.get("a"));
        Thread.sleep(20); // distinct last-use times
        puller.pull("b", versions.get("b"));
        Thread.sleep(20);
        assertTrue(puller.pull("a", versions.get("a")).cacheHit()); // a is now the most recent
        Thread.sleep(20);
        puller.pull("c", versions.get("c")); // evicts b, the least recently used
        ModelCache cache = new ModelCache(tmp.resolve("cache"), each * 3);
        assertTrue(cache.lookup("a", versions.get("a")).isPresent());
        assertTrue(cache.lookup("b", versions.get("b")).isEmpty());
        assertTrue(cache.lookup("c", versions.get("c")).isPresent());
        assertTrue(cache.usedBytes() <= each * 2 + each / 2, "cache within its bound");

        ModelPuller small = puller(store, each - 1);
        StoreException e = assertThrows(StoreException.class, () -> small.pull("b", versions.get("b")));
        assertEquals(StoreException.Kind.TOO_LARGE, e.kind());
        assertEquals("b@" + versions.get("b") + " is " + each + " bytes, more than the whole model cache (" + (each - 1)
                + " bytes, model_cache_size): raise model_cache_size", e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void namesVersionsAndFilesThatCouldEscapeAreRefusedNeverFollowed(Backend backend) throws Exception {
        Counting store = open(backend);
        String version = publish(store, "m", model("m", 1_000, 1)).entry().version();
        ModelPuller puller = puller(store, 1 << 20);
        for (String[] bad : new String[][] {{"..", version}, {"../m", version}, {"/etc", version}, {"m", "../../../x"},
                {"m", "/abs"}, {"m/..", version}, {"m", version + "/.."}}) {
            StoreException e = assertThrows(StoreException.class, () -> puller.pull(bad[0], bad[1]), String.join("@", bad));
            assertEquals(StoreException.Kind.BAD_INPUT, e.kind());
        }
        // an index entry that could escape: the index is refused as a whole
        store.write(StoreIndex.FILE, "{\"models\":{\"../../etc\":{\"version\":\"0123456789ab\",\"size\":1}}}".getBytes(StandardCharsets.UTF_8));
        StoreException index = assertThrows(StoreException.class, () -> StoreIndex.read(store));
        assertEquals(StoreException.Kind.CORRUPT, index.kind());
        assertTrue(index.getMessage().contains("'../../etc' is refused"), index.getMessage());
        // a manifest naming a file outside its folder
        String evil = "{\"name\":\"m\",\"version\":\"" + version + "\",\"files\":[{\"name\":\"../../../outside\",\"size\":3,"
                + "\"sha256\":\"" + "0".repeat(64) + "\"}]}";
        store.write("m/" + version + "/manifest.json", evil.getBytes(StandardCharsets.UTF_8));
        StoreException manifest = assertThrows(StoreException.class, () -> puller.pull("m", version));
        assertEquals(StoreException.Kind.CORRUPT, manifest.kind());
        assertFalse(Files.exists(tmp.resolve("outside")) || Files.exists(tmp.resolve("cache").resolve("outside")));
        assertNothingCached();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aMissingModelIsMissingAndManyWaitersShareOneDownload(Backend backend) throws Exception {
        Counting store = open(backend);
        ModelPuller puller = puller(store, 1 << 22);
        StoreException missing = assertThrows(StoreException.class, () -> puller.pull("absent", "0123456789ab"));
        assertEquals(StoreException.Kind.MISSING, missing.kind());
        assertTrue(missing.getMessage().startsWith("no model absent@0123456789ab in "), missing.getMessage());

        String version = publish(store, "big", model("big", 1 << 21, 5)).entry().version();
        int opens = store.opens.get();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        ExecutorService downloads = Executors.newSingleThreadExecutor();
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<ModelPuller.Pulled>> all = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                all.add(pool.submit(() -> {
                    go.await();
                    return puller.pullAsync("big", version, downloads).get();
                }));
            }
            go.countDown();
            for (Future<ModelPuller.Pulled> f : all) {
                assertEquals(tmp.resolve("cache/big").resolve(version), f.get().dir());
            }
        } finally {
            pool.shutdownNow();
            downloads.shutdownNow();
        }
        assertEquals(1, puller.stats("big").downloads(), "one download for 8 waiters");
        assertEquals(3, store.opens.get() - opens, "each of the 3 files read once");
    }

    @Test
    void wrongCredentialsAreOneLineThatNeverShowsTheSecret() throws Exception {
        bucket = "models-" + BUCKETS.incrementAndGet();
        s3.createBucket(bucket);
        String secret = "wrong-" + S3Server.SECRET_KEY;
        try (Blobs store = ModelStores.open("s3://" + bucket, s3.endpoint(), "us-east-1",
                StaticCredentialsProvider.create(AwsBasicCredentials.create(S3Server.ACCESS_KEY, secret)))) {
            StoreException e = assertThrows(StoreException.class, store::probe);
            assertEquals(StoreException.Kind.FORBIDDEN, e.kind());
            assertEquals("s3://" + bucket + " at " + s3.endpoint() + " rejected the credentials (SignatureDoesNotMatch): check"
                    + " AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the pod's role", e.getMessage());
            assertFalse(String.valueOf(e.getCause()).contains(secret));
        }
        try (Blobs store = ModelStores.open("s3://" + bucket, s3.endpoint(), "us-east-1",
                StaticCredentialsProvider.create(AwsBasicCredentials.create("nobody", secret)))) {
            StoreException e = assertThrows(StoreException.class, () -> store.read("index.json"));
            assertEquals(StoreException.Kind.FORBIDDEN, e.kind());
            assertTrue(e.getMessage().contains("(InvalidAccessKeyId)") && !e.getMessage().contains(secret), e.getMessage());
        }
    }

    @Test
    void missingCredentialsNameWhatTheDefaultChainTried() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("AWS_ACCESS_KEY_ID") == null
                && System.getenv("AWS_WEB_IDENTITY_TOKEN_FILE") == null && System.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") == null
                && System.getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") == null, "this environment holds AWS credentials");
        Map<String, String> props = Map.of("aws.sharedCredentialsFile", tmp.resolve("none").toString(),
                "aws.configFile", tmp.resolve("none").toString(), "aws.disableEc2Metadata", "true");
        Map<String, String> before = new java.util.HashMap<>();
        props.forEach((k, v) -> before.put(k, System.setProperty(k, v)));
        try (Blobs store = ModelStores.open("s3://models-none/p", s3.endpoint(), "us-east-1")) {
            StoreException e = assertThrows(StoreException.class, store::probe);
            assertEquals(StoreException.Kind.NO_CREDENTIALS, e.kind());
            assertTrue(e.getMessage().startsWith("no AWS credentials for s3://models-none/p at " + s3.endpoint()
                    + ": the SDK's default chain tried SystemProperty, EnvironmentVariable"), e.getMessage());
            assertTrue(e.getMessage().contains("Profile") && e.getMessage().contains("InstanceProfile"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        } finally {
            before.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
        }
    }

    @Test
    void anUnreachableStoreIsRetryable() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (Blobs store = ModelStores.open("s3://models-x", "http://127.0.0.1:" + port, "us-east-1", s3.credentials())) {
            StoreException e = assertThrows(StoreException.class, store::probe);
            assertEquals(StoreException.Kind.UNREACHABLE, e.kind());
            assertTrue(e.retryable());
            assertTrue(e.getMessage().startsWith("cannot reach s3://models-x at http://127.0.0.1:" + port), e.getMessage());
        }
        try (Blobs folder = ModelStores.open(tmp.resolve("not-mounted").toString(), "", null)) {
            StoreException e = assertThrows(StoreException.class, () -> folder.read(StoreIndex.FILE));
            assertEquals(StoreException.Kind.UNREACHABLE, e.kind());
        }
    }

    @Test
    void storeSettingsThatAreNotOneAreOneLine() {
        assertNull(ModelStores.problem(""));
        assertNull(ModelStores.problem("s3://my-models/team/prod"));
        assertNull(ModelStores.problem("/mnt/efs/models"));
        assertEquals("model_store=s3://My_Bucket/p: 'My_Bucket' is not a bucket name S3 accepts (3 to 63 lower-case letters,"
                + " digits, '.' and '-', starting and ending with a letter or digit)", ModelStores.problem("s3://My_Bucket/p"));
        for (String bad : List.of("s3://ab", "s3://192.168.1.1", "s3://a..b", "s3://-abc", "s3://xn--abc", "s3://b/../x",
                "s3://b//x", "http://example.com/x", "s3://" + "a".repeat(64))) {
            assertTrue(ModelStores.problem(bad) != null && ModelStores.problem(bad).startsWith("model_store=" + bad), bad);
        }
        assertNull(ModelStores.endpointProblem("http://127.0.0.1:9000"));
        assertEquals("s3_endpoint=minio:9000 is not an http:// or https:// URL with a host", ModelStores.endpointProblem("minio:9000"));
        assertTrue(ModelStores.endpointProblem("http://key:secret@host").contains("must not hold a user"));
    }

    /** The store as the code under test sees it, counting the reads and writes that reach it. */
    static final class Counting implements Blobs {
        final Blobs inner;
        final AtomicInteger writes = new AtomicInteger();
        final AtomicInteger opens = new AtomicInteger();

        Counting(Blobs inner) {
            this.inner = inner;
        }

        @Override
        public OptionalLong size(String key) {
            return inner.size(key);
        }

        @Override
        public InputStream open(String key) {
            opens.incrementAndGet();
            return inner.open(key);
        }

        @Override
        public Optional<byte[]> read(String key) {
            return inner.read(key);
        }

        @Override
        public void write(String key, Path file) {
            writes.incrementAndGet();
            inner.write(key, file);
        }

        @Override
        public void write(String key, byte[] bytes) {
            writes.incrementAndGet();
            inner.write(key, bytes);
        }

        @Override
        public boolean update(String key, java.util.function.Function<Optional<byte[]>, byte[]> change) {
            boolean wrote = inner.update(key, change);
            if (wrote) {
                writes.incrementAndGet();
            }
            return wrote;
        }

        @Override
        public void probe() {
            inner.probe();
        }

        @Override
        public String describe() {
            return inner.describe();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
