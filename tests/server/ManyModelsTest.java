package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import lib.trace.ModelVariants;
import lib.model.Answer;
import lib.model.ModelSpec;
import lib.model.QaCodec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.TracedModel;

/** Several distinct models in one server: names, numbering, lazy loads and eviction under a memory budget. */
class ManyModelsTest {
    @TempDir
    static Path dir;
    static Path primary;

    @BeforeAll
    static void model() throws Exception {
        primary = TracedModel.bundled(dir.resolve("project"), Map.of());
        for (String name : List.of("a", "b", "c", "d")) {
            Files.createDirectories(dir.resolve(name));
        }
    }

    /** A model that answers with its own name, counting its loads; 100 bytes each. */
    static final class Named implements ModelServer.Loader {
        final Map<String, AtomicInteger> loads = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> closed = new ConcurrentHashMap<>();
        volatile CountDownLatch gate = new CountDownLatch(0);
        /** Holds forwards of model a: a stays in use. */
        volatile CountDownLatch busyA = new CountDownLatch(0);

        @Override
        public ServedModel load(ModelSource source, int copy) throws Exception {
            gate.await();
            loads.computeIfAbsent(source.name(), k -> new AtomicInteger()).incrementAndGet();
            return new ServedModel() {
                @Override
                public QaCodec.Encoded encode(String question, String context) {
                    return new QaCodec.Encoded(new long[] {1}, new long[] {0}, false);
                }

                @Override
                public Runner newRunner() {
                    return (batch, postprocess) -> {
                        if (source.name().equals("a")) {
                            try {
                                busyA.await();
                            } catch (InterruptedException e) {
                                throw new IllegalStateException(e);
                            }
                        }
                        return batch.stream().map(e -> new Answer(source.name(), 0, 1, false, 0)).toList();
                    };
                }

                @Override
                public void close() {
                    closed.computeIfAbsent(source.name(), k -> new AtomicInteger()).incrementAndGet();
                }
            };
        }

        @Override
        public long bytes(ModelSource source) {
            return 100;
        }

        int loads(String name) {
            return loads.getOrDefault(name, new AtomicInteger()).get();
        }
    }

    static Map<String, String> env(String models, String budget, String pinned) {
        Map<String, String> env = new HashMap<>(Map.of("MODELS", models, "MODEL_NAME", "main"));
        if (budget != null) {
            env.put("MODEL_MEMORY_BUDGET", budget);
        }
        if (pinned != null) {
            env.put("PINNED_MODELS", pinned);
        }
        return env;
    }

    static String models(String... names) {
        return String.join(",", java.util.Arrays.stream(names).map(n -> n + "=" + dir.resolve(n)).toList());
    }

    static ModelServer start(Map<String, String> env, ModelServer.Loader loader) {
        ModelServer s = new ModelServer(ModelServerTest.settings(primary, 1, 1, env), loader, Map.of()).start();
        assertTrue(s.awaitLoaded());
        return s;
    }

    static String answer(ModelServer s, String model) throws Exception {
        HttpResponse<String> r = ServingCoreTest.get(s, "/predictions/" + model);
        assertEquals(200, r.statusCode(), r.body());
        return ModelServerTest.JSON.readTree(r.body()).get("detail").asText();
    }

    static Map<String, String> statuses(ModelServer s) throws Exception {
        Map<String, String> by = new HashMap<>();
        for (JsonNode m : ModelServerTest.JSON.readTree(ServingCoreTest.get(s, "/models").body()).get("models")) {
            by.put(m.get("name").asText(), m.get("status").asText());
        }
        return by;
    }

    /** Waits (30 s at most) until /models shows the model in that status. */
    static void awaitStatus(ModelServer s, String name, String status) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!status.equals(statuses(s).get(name)) && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertEquals(status, statuses(s).get(name), name);
    }

    @Test
    void twoDistinctRealModelsAnswerTheirOwnAnswers() throws Exception {
        // the same weights with the answer head negated: a model that answers otherwise
        Path other = ModelVariants.write(primary, dir.resolve("negated"), "negated", -1f);
        ServerSettings settings = ModelServerTest.settings(primary, 2, 1, Map.of("MODELS", "negated=" + other + "*2"));
        ModelServer s = new ModelServer(settings, ModelServer.loader(settings), ModelSpec.metadata(primary)).start();
        try {
            assertTrue(s.awaitLoaded());
            String question = "?seq_0=" + ModelServerTest.q(QaCodec.SAMPLE_QUESTION);
            String bundled = ServingCoreTest.get(s, "/predictions/tiny-bert-qa" + question).body();
            String negated = ServingCoreTest.get(s, "/predictions/negated" + question).body();
            assertEquals("{\"detail\":\"i think i can\"}", bundled);
            assertNotEquals(bundled, negated);
            // model<i> numbered across the models: the bundled model's copies first, then the other's
            assertEquals(bundled, ServingCoreTest.get(s, "/predictions/model1" + question).body());
            assertEquals(negated, ServingCoreTest.get(s, "/predictions/model2" + question).body());
            assertEquals(negated, ServingCoreTest.get(s, "/predictions/model3" + question).body());
            HttpResponse<String> missing = ServingCoreTest.get(s, "/predictions/model4");
            assertEquals(404, missing.statusCode());
            assertEquals("{\"detail\":\"Model model4 does not exist. Try a model name up to model3 or one of [tiny-bert-qa, negated]\"}",
                    missing.body());
            JsonNode listed = ModelServerTest.JSON.readTree(ServingCoreTest.get(s, "/models").body()).get("models");
            assertEquals(4, listed.size());
            assertEquals("negated", listed.get(3).get("name").asText());
            assertEquals("ready", listed.get(3).get("status").asText());
            assertEquals(Files.size(other.resolve("tiny-bert-qa_bs1_seq128_pc1_cpu.pt")), listed.get(3).get("bytes").asLong());
        } finally {
            s.drain();
        }
    }

    @Test
    void theLeastRecentlyUsedModelIsEvictedFirst() throws Exception {
        Named loader = new Named();
        // main (pinned by name) + a, b, c of 100 bytes; 300 bytes hold main and two others
        ModelServer s = start(env(models("a", "b", "c"), "300", "main"), loader);
        try {
            assertEquals("unloaded", statuses(s).get("a"));
            assertEquals("a", answer(s, "a"));
            assertEquals("b", answer(s, "b"));
            assertEquals("a", answer(s, "a")); // b is now the least recently used
            assertEquals("c", answer(s, "c"));
            Map<String, String> after = statuses(s);
            assertEquals("unloaded", after.get("b"), after.toString());
            assertEquals("ready", after.get("a"), after.toString());
            assertEquals("ready", after.get("c"), after.toString());
            assertEquals(1, loader.closed.get("b").get());
            assertEquals("b", answer(s, "b")); // a is least recent now
            assertEquals("unloaded", statuses(s).get("a"));
            assertEquals(2, loader.loads("b"));
            assertEquals(1, loader.loads("main"));
            String metrics = ServingCoreTest.get(s, "/metrics").body();
            assertTrue(metrics.contains("jdo_model_evictions_total{model=\"b\"} 1.0"), metrics);
            assertTrue(metrics.contains("jdo_model_requests_total{model=\"a\",result=\"hit\"} 1.0"), metrics);
            assertTrue(metrics.contains("jdo_model_requests_total{model=\"a\",result=\"miss\"} 1.0"), metrics);
            assertTrue(metrics.contains("jdo_model_memory_bytes 300.0"), metrics);
        } finally {
            s.drain();
        }
    }

    @Test
    void loadsAndUnloadsGiveFreedNativeMemoryBack() throws Exception {
        Named loader = new Named();
        long atStart = NativeHeap.trims();
        ModelServer s = start(env(models("a", "b"), "200", "main"), loader);
        try {
            awaitTrimsAbove(atStart); // the start-up load's, after which none is pending
            long before = NativeHeap.trims();
            assertEquals("a", answer(s, "a"));
            assertEquals("b", answer(s, "b")); // a unloaded to make room
            assertEquals("unloaded", statuses(s).get("a"));
            awaitTrimsAbove(before);
        } finally {
            s.drain();
        }
    }

    /** Waits (30 s at most) until the server has asked glibc for more trims than `count`. */
    static void awaitTrimsAbove(long count) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (NativeHeap.trims() <= count && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertTrue(NativeHeap.trims() > count, "malloc_trim after loads and unloads: " + NativeHeap.trims());
    }

    @Test
    void pinnedModelsAreNeverEvicted() throws Exception {
        Named loader = new Named();
        ModelServer s = start(env(models("a", "b", "c"), "200", "main"), loader);
        try {
            for (int round = 0; round < 3; round++) {
                for (String name : List.of("a", "b", "c")) {
                    assertEquals(name, answer(s, name));
                }
            }
            assertEquals("main", answer(s, "main"));
            assertEquals(1, loader.loads("main"));
            assertEquals("ready", statuses(s).get("main"));
            assertEquals(3, loader.loads("a"), "a, b and c take turns in the one free place");
        } finally {
            s.drain();
        }
    }

    @Test
    void aColdModelLoadsOnceForConcurrentRequests() throws Exception {
        Named loader = new Named();
        ModelServer s = start(env(models("a"), "1Mi", "main"), loader);
        try {
            loader.gate = new CountDownLatch(1);
            List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                waiting.add(ServingCoreTest.getAsync(s, "/predictions/" + (i % 2 == 0 ? "a" : "model1")));
            }
            awaitStatus(s, "a", "loading");
            assertEquals("loading", statuses(s).get("a"));
            loader.gate.countDown();
            for (CompletableFuture<HttpResponse<String>> r : waiting) {
                assertEquals("{\"detail\":\"a\"}", r.get(30, TimeUnit.SECONDS).body());
            }
            assertEquals(1, loader.loads("a"));
        } finally {
            loader.gate.countDown();
            s.drain();
        }
    }

    @Test
    void aLoadWaitsUntilTheModelInUseIsReleased() throws Exception {
        Named loader = new Named();
        ModelServer s = start(env(models("a", "b"), "200", "main"), loader);
        try {
            loader.busyA = new CountDownLatch(1);
            CompletableFuture<HttpResponse<String>> a = ServingCoreTest.getAsync(s, "/predictions/a");
            awaitStatus(s, "a", "ready");
            CompletableFuture<HttpResponse<String>> b = ServingCoreTest.getAsync(s, "/predictions/b");
            awaitStatus(s, "b", "loading");
            Thread.sleep(200);
            assertEquals("loading", statuses(s).get("b"), "b waits: a is in use and main is pinned");
            assertEquals("ready", statuses(s).get("a"));
            loader.busyA.countDown();
            assertEquals("{\"detail\":\"a\"}", a.get(30, TimeUnit.SECONDS).body());
            assertEquals("{\"detail\":\"b\"}", b.get(30, TimeUnit.SECONDS).body());
            assertEquals("unloaded", statuses(s).get("a"));
        } finally {
            loader.busyA.countDown();
            s.drain();
        }
    }

    @Test
    void aDrainWaitsForARequestWhoseModelIsStillLoading() throws Exception {
        Named loader = new Named();
        ModelServer s = start(env(models("a"), "1Mi", "main"), loader);
        loader.gate = new CountDownLatch(1);
        try {
            CompletableFuture<HttpResponse<String>> a = ServingCoreTest.getAsync(s, "/predictions/a");
            awaitStatus(s, "a", "loading");
            Thread drain = Thread.ofPlatform().start(s::drain);
            Thread.sleep(300);
            assertTrue(drain.isAlive(), "the drain waits for the request");
            loader.gate.countDown();
            assertEquals("{\"detail\":\"a\"}", a.get(30, TimeUnit.SECONDS).body());
            drain.join(30_000);
        } finally {
            loader.gate.countDown();
        }
    }

    @Test
    void aRequestWaitingForALoadIsBoundedByItsDeadline() throws Exception {
        Named loader = new Named();
        Map<String, String> env = env(models("a"), "1Mi", "main");
        env.put("REQUEST_TIMEOUT_MS", "300");
        ModelServer s = start(env, loader);
        try {
            loader.gate = new CountDownLatch(1);
            HttpResponse<String> r = ServingCoreTest.get(s, "/predictions/a");
            assertEquals(504, r.statusCode(), r.body());
            loader.gate.countDown();
            awaitStatus(s, "a", "ready");
            assertEquals("a", answer(s, "a"), "the load went on and the model serves");
        } finally {
            loader.gate.countDown();
            s.drain();
        }
    }

    @Test
    void aModelLargerThanTheBudgetFailsWithOneClearError() {
        ServerSettings.BadSetting e = assertThrows(ServerSettings.BadSetting.class,
                () -> new ModelServer(ModelServerTest.settings(primary, 1, 1, env(models("a"), "99", "")), new Named(), Map.of()));
        assertEquals("model main needs 100 bytes, more than MODEL_MEMORY_BUDGET (99 bytes): raise the budget or drop the model",
                e.getMessage());
        e = assertThrows(ServerSettings.BadSetting.class,
                () -> new ModelServer(ModelServerTest.settings(primary, 1, 1, env(models("a", "b"), "150", "main,a")), new Named(), Map.of()));
        assertTrue(e.getMessage().startsWith("the pinned models need"), e.getMessage());
    }

    @Test
    void badModelSettingsAreOneLine() {
        Map<String, String> cases = Map.of(
                "MODELS=a", "MODELS entry 'a' must be name=folder or name=folder*copies",
                "MODELS=a=/no/such/folder", "MODELS entry 'a=/no/such/folder': /no/such/folder is not a folder",
                "MODELS=model7=" + dir.resolve("a"), "MODELS entry 'model7=" + dir.resolve("a") + "': model<N> names copies; choose another name",
                "MODELS=-a=" + dir.resolve("a"), "MODELS entry '-a=" + dir.resolve("a") + "': a model name is letters, digits, '.', '_' or '-' "
                        + "(at most 63, not starting with '.', '_' or '-')",
                "MODELS=main=" + dir.resolve("a"), "MODELS entry 'main=" + dir.resolve("a") + "': the name main is taken",
                "PINNED_MODELS=zz", "PINNED_MODELS names 'zz', which is not served; models: [main]",
                "MODEL_MEMORY_BUDGET=lots", "MODEL_MEMORY_BUDGET=lots must be a size (bytes, or with Ki/Mi/Gi: 1536Mi) or a share of the "
                        + "memory limit above 0% and at most 100% (60%)",
                "MODEL_MEMORY_BUDGET=150%", "MODEL_MEMORY_BUDGET=150% must be a size (bytes, or with Ki/Mi/Gi: 1536Mi) or a share of the "
                        + "memory limit above 0% and at most 100% (60%)");
        cases.forEach((setting, message) -> {
            String[] kv = setting.split("=", 2);
            ServerSettings.BadSetting e = assertThrows(ServerSettings.BadSetting.class,
                    () -> ModelServerTest.settings(primary, 1, 1, Map.of(kv[0], kv[1], "MODEL_NAME", "main")));
            assertEquals(message, e.getMessage());
        });
        assertEquals(1536L << 20, MemoryBudget.parse("1536Mi"));
        assertEquals(2L << 30, MemoryBudget.parse("2G"));
        assertTrue(MemoryBudget.parse("50%") > 0);
    }
}
