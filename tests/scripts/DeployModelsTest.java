package scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import lib.store.Blobs;
import lib.store.ModelStores;
import lib.store.Placement;
import lib.store.StoreIndex;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.Scripts;
import support.Scripts.Run;

/**
 * `./deploy.java models` over a folder store whose index holds 300 models: the catalog
 * extra_models selects, each with its version, size, precision and the servers Placement gives it,
 * and the one-line refusals of a catalog without a store or without a budget.
 */
class DeployModelsTest {
    @TempDir
    static Path dir;
    static Path store;

    @BeforeAll
    static void aStoreOfThreeHundredModels() throws Exception {
        store = dir.resolve("store");
        Files.createDirectories(store);
        StoreIndex index = StoreIndex.empty().with(new StoreIndex.Entry("tiny-bert-qa", "aaaaaaaaaaaa", 2_671_422, "fp32", "cpu"));
        for (int i = 0; i < 300; i++) {
            index = index.with(new StoreIndex.Entry(String.format("bert-%03d", i), String.format("%012x", i + 1), 4_400_000, "int8", "cpu"));
        }
        index = index.with(new StoreIndex.Entry("other", "bbbbbbbbbbbb", 1_000_000, "fp32", "cpu"));
        try (Blobs blobs = ModelStores.open(store.toString(), "", null)) {
            blobs.write(StoreIndex.FILE, index.toJson());
        }
    }

    static Path project(String name, Map<String, String> settings) throws Exception {
        Map<String, String> all = new java.util.HashMap<>(Map.of("num_servers", "4", "model_replicas", "2"));
        all.putAll(settings);
        return Scripts.project(dir.resolve(name), all);
    }

    @Test
    void theCatalogIsListedWithItsPlacement() throws Exception {
        Path p = project("listed", Map.of("model_store", store.toString(), "extra_models", "bert-*", "model_memory_budget", "100Mi"));
        Run run = Scripts.run(p, "deploy.java", "models");
        assertEquals(0, run.exitCode(), run::toString);
        List<String> lines = run.stdout().lines().toList();
        assertTrue(lines.getFirst().matches("MODEL +VERSION +SIZE +PRECISION +SERVERS"), run::toString);
        assertTrue(lines.get(1).matches("tiny-bert-qa +aaaaaaaaaaaa +2\\.7 MB +fp32 +all"), lines.get(1));
        for (int i = 0; i < 300; i++) {
            String name = String.format("bert-%03d", i);
            int[] p2 = Placement.preferred(name, 4, 2);
            String expected = name + " +" + String.format("%012x", i + 1) + " +4\\.4 MB +int8 +" + p2[0] + "," + p2[1];
            assertTrue(lines.get(2 + i).matches(expected), lines.get(2 + i) + " against " + expected);
        }
        assertTrue(run.stdout().lines().noneMatch(l -> l.startsWith("other")), "bert-* leaves other out");
        int[] per = new int[4];
        for (int i = 0; i < 300; i++) {
            for (int s : Placement.preferred(String.format("bert-%03d", i), 4, 2)) {
                per[s]++;
            }
        }
        assertTrue(run.stdout().contains("301 models (300 of the catalog placed on 2 of 4 servers each; server 0: " + per[0]
                + ", server 1: " + per[1] + ", server 2: " + per[2] + ", server 3: " + per[3] + ")"), run::toString);
        assertEquals(600, Arrays.stream(per).sum());
    }

    @Test
    void aCatalogWithoutAStoreOrABudgetIsOneLine() throws Exception {
        Run noStore = Scripts.run(project("nostore", Map.of("extra_models", "*", "model_memory_budget", "100Mi")), "deploy.java", "models");
        assertEquals(2, noStore.exitCode(), noStore::toString);
        assertTrue(noStore.stderr().strip().lines().count() == 1 && noStore.stderr().contains("set model_store"), noStore::toString);

        Run noBudget = Scripts.run(project("nobudget", Map.of("model_store", store.toString(), "extra_models", "*")), "deploy.java", "models");
        assertEquals(2, noBudget.exitCode(), noBudget::toString);
        assertTrue(noBudget.stderr().contains("set model_memory_budget"), noBudget::toString);

        Run nothing = Scripts.run(project("nothing", Map.of("model_store", store.toString(), "extra_models", "gpt-*",
                "model_memory_budget", "100Mi")), "deploy.java", "models");
        assertEquals(2, nothing.exitCode(), nothing::toString);
        assertTrue(nothing.stderr().contains("extra_models entry 'gpt-*' matches no model of the store index"), nothing::toString);
    }
}
