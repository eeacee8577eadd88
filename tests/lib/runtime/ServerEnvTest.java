package lib.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import lib.cli.CliError;
import lib.config.Config;
import lib.config.Names;
import lib.image.ModelSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.ProjectConfig;

/** What every runtime hands a server: its serving settings and the memory that follows from the model. */
class ServerEnvTest {
    @TempDir
    Path dir;

    static final long MB540 = 539_026_115L; // the full-size benchmark model's file

    @Test
    void copiesShareTheWeightsExceptOnNeuron() {
        Config cpu = ProjectConfig.load(dir, Map.of(), Map.of("processor", "cpu", "num_models", "16"));
        assertArrayEquals(new long[] {1088, 1664}, ServerMemory.mib(cpu, MB540), "512Mi + 515Mi of weights once");
        Config inf2 = ProjectConfig.load(dir, Map.of(), Map.of("processor", "inf2", "num_models", "4"));
        assertArrayEquals(new long[] {2624, 3968}, ServerMemory.mib(inf2, MB540), "one set of weights per NeuronCore copy");
    }

    @Test
    void autoMemoryFollowsTheTracedModelAndExplicitValuesWin() throws IOException {
        Config config = ProjectConfig.load(dir, Map.of(), Map.of());
        Names names = new Names(config);
        Manifests manifests = new Manifests(config);
        assertArrayEquals(new String[] {"2Gi", "4Gi"}, manifests.memory(), "nothing traced yet");
        Files.createDirectories(names.traceDir());
        try (RandomAccessFile f = new RandomAccessFile(names.traceDir().resolve(names.tracedModelFile()).toFile(), "rw")) {
            f.setLength(MB540);
        }
        assertArrayEquals(new String[] {"1088Mi", "1664Mi"}, manifests.memory());
        // an extra model's weights count too
        Config two = ProjectConfig.load(dir, Map.of(), Map.of("extra_models", "b=bundled"));
        Names b = new Names(ModelSet.configOf(two, ModelSet.extras(two).get(0)));
        Files.createDirectories(b.traceDir());
        try (RandomAccessFile f = new RandomAccessFile(b.traceDir().resolve(b.tracedModelFile()).toFile(), "rw")) {
            f.setLength(MB540);
        }
        assertArrayEquals(new String[] {"1600Mi", "2432Mi"}, new Manifests(two).memory());
        Config explicit = ProjectConfig.load(dir, Map.of(), Map.of("memory_request", "3Gi", "memory_limit", "5Gi"));
        assertArrayEquals(new String[] {"3Gi", "5Gi"}, new Manifests(explicit).memory());
    }

    @Test
    void eachServerHasACacheFolderOfItsOwnOnThisMachine() {
        Path auto = dir.resolve("state/model-cache");
        Config folder = ProjectConfig.load(dir, Map.of(), Map.of("model_store", dir.resolve("store").toString(),
                "model_cache_dir", dir.resolve("cache").toString()));
        assertEquals(java.util.Optional.of(dir.resolve("cache/s-0")), ServerEnv.hostCacheFolder(folder, "s-0", auto));
        assertEquals(java.util.Optional.of(dir.resolve("cache/s-1")), ServerEnv.hostCacheFolder(folder, "s-1", null),
                "a folder is shared by no two servers, in a container too");
        Config automatic = ProjectConfig.load(dir, Map.of(), Map.of("model_store", dir.resolve("store").toString()));
        assertEquals(java.util.Optional.of(auto.resolve("s-0")), ServerEnv.hostCacheFolder(automatic, "s-0", auto));
        assertEquals(java.util.Optional.empty(), ServerEnv.hostCacheFolder(automatic, "s-0", null), "auto in a container: its own");
        assertEquals(java.util.Optional.empty(), ServerEnv.hostCacheFolder(ProjectConfig.load(dir, Map.of(), Map.of()), "s-0", auto),
                "no store, no cache");
    }

    @Test
    void everyServingKeyReachesTheServer() {
        Config config = ProjectConfig.load(dir, Map.of(), Map.of("max_batch_size", "8", "max_batch_delay_ms", "3", "max_queue", "50",
                "request_timeout_ms", "1500", "sequence_bucket", "32", "drain_delay", "7"));
        Map<String, String> env = ServerEnv.env(config, 0, 8080, "/app/model");
        assertEquals("8", env.get("MAX_BATCH_SIZE"));
        assertEquals("3", env.get("MAX_BATCH_DELAY_MS"));
        assertEquals("50", env.get("MAX_QUEUE"));
        assertEquals("1500", env.get("REQUEST_TIMEOUT_MS"));
        assertEquals("32", env.get("SEQUENCE_BUCKET"));
        assertEquals("7", env.get("DRAIN_DELAY"));
        assertEquals(7 + ServerEnv.DRAIN_SECONDS + 10, ServerEnv.stopSeconds(config));
    }

    @Test
    void extraModelsReachTheServerBesideTheModelAndCountInAutoMemory() throws IOException {
        Config config = ProjectConfig.load(dir, Map.of(), Map.of("extra_models", "squad=hf:distilbert-base-cased-distilled-squad*2, mine=bundled",
                "model_memory_budget", "1Gi", "pinned_models", "tiny-bert-qa"));
        Map<String, String> env = ServerEnv.env(config, 0, 8080, "/app/model");
        assertEquals("squad=/app/models/squad*2,mine=/app/models/mine*1", env.get("MODELS"));
        assertEquals("1Gi", env.get("MODEL_MEMORY_BUDGET"));
        assertEquals("tiny-bert-qa", env.get("PINNED_MODELS"));
        assertEquals(4, ModelSet.totalCopies(Config.load(config.file(), Map.of("extra_models", "squad=bundled*2,mine=bundled",
                "num_models", "1"))));
        assertEquals(dir.resolve("build/x/models/mine") + "*1",
                ServerEnv.env(config, 0, 1, dir.resolve("build/x/model").toString()).get("MODELS").split("=")[2]);
        // three 540 MB models: the weights count up to the budget (1Gi), not all three
        assertArrayEquals(new long[] {1536, 2304}, ServerMemory.mib(config, MB540, 2 * MB540));
        Config noBudget = ProjectConfig.load(dir, Map.of(), Map.of("extra_models", "b=bundled"));
        assertArrayEquals(new long[] {1600, 2432}, ServerMemory.mib(noBudget, MB540, MB540));
        assertEquals(null, ServerEnv.env(ProjectConfig.load(dir, Map.of(), Map.of()), 0, 8080, "/app/model").get("MODELS"), "one model: as before");
    }

    @Test
    void badExtraModelsAndBudgetsAreOneLineErrors() {
        Map<String, String> cases = Map.of(
                // a name without a source selects a model of a store's catalog: without a store, that is the error
                "squad", "extra_models=squad names models of a store's catalog: set model_store (docs/model-store.md), or give each model "
                        + "a source (name=source)",
                "../x", "extra_models entry '../x' must be name=source[*copies], a model name of the store, a prefix followed by * "
                        + "(bert-*), or * (every model of the store)",
                "model3=bundled", "extra_models entry 'model3=bundled': model<N> names copies; choose another name (source as model_source)",
                "tiny-bert-qa=bundled", "extra_models entry 'tiny-bert-qa=bundled': the name tiny-bert-qa is taken (source as model_source)",
                "a=bundled*0", "extra_models entry 'a=bundled*0': copies must be at least 1 (source as model_source)");
        cases.forEach((value, message) -> {
            Config config = ProjectConfig.load(dir, Map.of(), Map.of("extra_models", value));
            CliError e = org.junit.jupiter.api.Assertions.assertThrows(CliError.class, () -> ModelSet.extras(config));
            assertEquals(message, e.getMessage());
            assertEquals(2, e.exitCode());
        });
        Config budget = ProjectConfig.load(dir, Map.of(), Map.of("model_memory_budget", "lots"));
        CliError e = org.junit.jupiter.api.Assertions.assertThrows(CliError.class, () -> ServerEnv.env(budget, 0, 8080, "/app/model"));
        assertEquals("model_memory_budget=lots must be a size (2Gi, 1536Mi, bytes) or a share of the memory limit (60%), or empty",
                e.getMessage());
    }

    @Test
    void everyServerGetsTheThreadEnvironmentAndNoThreadCountThatContradictsDjl() {
        Map<String, String> env = ServerEnv.env(ProjectConfig.load(dir, Map.of(), Map.of()), 0, 8080, "/app/model");
        assertEquals("PASSIVE", env.get("OMP_WAIT_POLICY"), "idle OpenMP threads sleep");
        ServerEnv.THREAD_ENV.forEach((k, v) -> assertEquals(v, env.get(k), k));
        // the server sets intra-op threads through DJL (ai.djl.pytorch.num_threads), which PyTorch applies to OpenMP and MKL
        assertFalse(env.containsKey("OMP_NUM_THREADS") || env.containsKey("MKL_NUM_THREADS"), env.toString());
    }
}
