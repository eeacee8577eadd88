package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import lib.store.Blobs;
import lib.store.ModelCache;
import lib.store.ModelPuller;
import lib.store.ModelStores;
import lib.store.Publisher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** StoreModels on a folder store with a clock of the test's: a failed pull stays failed for a while, then is tried again. */
class StoreModelsTest {
    @TempDir
    Path dir;

    @Test
    void aFailedModelStaysFailedWithItsReasonUntilItsBackoffEndsThenIsPulledAgain() throws Exception {
        Path trace = Files.createDirectories(dir.resolve("trace"));
        Files.write(trace.resolve("m.pt"), new byte[] {1, 2, 3});
        Files.writeString(trace.resolve("metadata.json"), "{}");
        Path storeDir = dir.resolve("store");
        Blobs blobs = ModelStores.open(ModelStores.createFolder(storeDir.toString()), "", null);
        String version = Publisher.publish(blobs, "m", trace, "m.pt", List.of("m.pt", "metadata.json"), "fp32", "cpu").entry().version();
        // the version's folder taken away: the store lacks the model
        Path versionDir = storeDir.resolve("m").resolve(version);
        Path aside = Files.move(versionDir, dir.resolve("aside"));

        AtomicLong now = new AtomicLong(1_000_000);
        StoreModels store = new StoreModels(new ModelPuller(blobs, new ModelCache(dir.resolve("cache"), 1 << 20)), now::get);
        Map<String, String> env = store.serverEnv(Map.of("STORE_MODELS", "m@" + version));
        ModelFolder folder = new ModelFolder("m", Path.of(env.get("MODEL_DIR")), 1, false);
        ServedModel loaded = new ServedModel() {
            @Override
            public lib.model.QaCodec.Encoded encode(String question, String context) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Runner newRunner() {
                throw new UnsupportedOperationException();
            }

            @Override
            public void close() {
            }
        };
        ModelLoader loader = store.wrap(new ModelLoader() {
            @Override
            public ServedModel load(ModelFolder f, int copy) {
                return loaded;
            }
        });

        StoreModels.PullFailed first = assertThrows(StoreModels.PullFailed.class, () -> loader.load(folder, 0));
        assertEquals(404, first.status);
        assertTrue(first.getMessage().startsWith("model m@" + version + " cannot be pulled: no model m@" + version)
                && first.getMessage().endsWith("(the store is asked again in 10 s)"), first.getMessage());

        // the model is back in the store, but within the backoff the store is not asked: the same answer
        Files.move(aside, versionDir);
        now.addAndGet(StoreModels.FAILED_FIRST_MS - 4_000);
        StoreModels.PullFailed again = assertThrows(StoreModels.PullFailed.class, () -> loader.load(folder, 0));
        assertEquals(404, again.status);
        assertTrue(again.getMessage().contains("cannot be pulled: no model m@") && again.getMessage().endsWith("asked again in 4 s)"),
                again.getMessage());
        assertEquals(0, store.stats("m").downloads());

        // past it, the next load pulls
        now.addAndGet(4_000);
        assertSame(loaded, loader.load(folder, 0));
        assertEquals(1, store.stats("m").downloads());
    }
}
