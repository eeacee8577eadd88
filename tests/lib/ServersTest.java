package lib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.ProjectConfig;

/** What every runtime hands a server: its serving settings and the memory that follows from the model. */
class ServersTest {
    @TempDir
    Path dir;

    static final long MB540 = 539_026_115L; // the full-size benchmark model's file

    @Test
    void copiesShareTheWeightsExceptOnNeuron() {
        Config cpu = ProjectConfig.load(dir, Map.of(), Map.of("processor", "cpu", "num_models", "16"));
        assertArrayEquals(new long[] {1088, 1664}, Servers.memoryMib(cpu, MB540), "512Mi + 515Mi of weights once");
        Config inf2 = ProjectConfig.load(dir, Map.of(), Map.of("processor", "inf2", "num_models", "4"));
        assertArrayEquals(new long[] {2624, 3968}, Servers.memoryMib(inf2, MB540), "one set of weights per NeuronCore copy");
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
        Config explicit = ProjectConfig.load(dir, Map.of(), Map.of("memory_request", "3Gi", "memory_limit", "5Gi"));
        assertArrayEquals(new String[] {"3Gi", "5Gi"}, new Manifests(explicit).memory());
    }

    @Test
    void everyServingKeyReachesTheServer() {
        Config config = ProjectConfig.load(dir, Map.of(), Map.of("max_batch_size", "8", "max_batch_delay_ms", "3", "max_queue", "50",
                "request_timeout_ms", "1500", "sequence_bucket", "32", "drain_delay", "7"));
        Map<String, String> env = Servers.env(config, 8080, "/app/model");
        assertEquals("8", env.get("MAX_BATCH_SIZE"));
        assertEquals("3", env.get("MAX_BATCH_DELAY_MS"));
        assertEquals("50", env.get("MAX_QUEUE"));
        assertEquals("1500", env.get("REQUEST_TIMEOUT_MS"));
        assertEquals("32", env.get("SEQUENCE_BUCKET"));
        assertEquals("7", env.get("DRAIN_DELAY"));
        assertEquals(7 + Servers.DRAIN_SECONDS + 10, Servers.stopSeconds(config));
    }

    @Test
    void everyServerGetsTheThreadEnvironmentAndNoThreadCountThatContradictsDjl() {
        Map<String, String> env = Servers.env(ProjectConfig.load(dir, Map.of(), Map.of()), 8080, "/app/model");
        assertEquals("PASSIVE", env.get("OMP_WAIT_POLICY"), "idle OpenMP threads sleep");
        Servers.THREAD_ENV.forEach((k, v) -> assertEquals(v, env.get(k), k));
        // the server sets intra-op threads through DJL (ai.djl.pytorch.num_threads), which PyTorch applies to OpenMP and MKL
        assertFalse(env.containsKey("OMP_NUM_THREADS") || env.containsKey("MKL_NUM_THREADS"), env.toString());
    }
}
