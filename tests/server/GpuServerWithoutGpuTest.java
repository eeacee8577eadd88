package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.TracedModel;

/**
 * processor=gpu on a machine without a GPU (this one): the server process stops with a non-zero
 * exit and one line that says why, not a stack trace or a server that never becomes ready.
 */
class GpuServerWithoutGpuTest {
    @TempDir
    Path dir;

    @Test
    void aGpuServerWithoutAGpuExitsWithOneLineSayingSo() throws Exception {
        Path model = TracedModel.bundled(dir.resolve("project"), Map.of("processor", "gpu", "test", "False"));
        Path log = dir.resolve("server.log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), "server.ModelServer")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        int port = lib.runtime.LocalRuntime.freePort(19250, java.util.Set.of());
        pb.environment().putAll(Map.of("MODEL_DIR", model.toString(), "PROCESSOR", "gpu", "NUM_MODELS", "1",
                "PORT", Integer.toString(port), "BIND_ADDRESS", "127.0.0.1"));
        Process p = pb.start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS) || kill(p), "the server exits by itself:\n" + Files.readString(log));
        assertNotEquals(0, p.exitValue(), Files.readString(log));
        List<String> why = Files.readAllLines(log).stream().filter(l -> l.contains("processor=gpu but PyTorch sees no CUDA GPU")).toList();
        assertEquals(1, why.size(), Files.readString(log));
        assertTrue(Files.readAllLines(log).stream().noneMatch(l -> l.startsWith("\tat ")), "no stack trace:\n" + Files.readString(log));
    }

    static boolean kill(Process p) {
        p.destroyForcibly();
        return false;
    }
}
