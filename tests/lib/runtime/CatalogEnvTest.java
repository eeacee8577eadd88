package lib.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lib.cli.CliError;
import lib.config.Config;
import lib.store.Blobs;
import lib.store.ModelStores;
import lib.store.StoreIndex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.ProjectConfig;

/** A store's catalog as the servers and the load clients of one command get it. */
class CatalogEnvTest {
    @TempDir
    Path dir;

    Config config(String extraModels, String skew) {
        Path store = dir.resolve("store");
        StoreIndex index = StoreIndex.empty().with(new StoreIndex.Entry("tiny-bert-qa", "aaaaaaaaaaaa", 2_671_422, "fp32", "cpu"));
        for (int i = 0; i < 200; i++) {
            index = index.with(new StoreIndex.Entry("v" + i, String.format("%012x", i), 2_671_422, "fp32", "cpu"));
        }
        try (Blobs blobs = ModelStores.open(ModelStores.createFolder(store.toString()), "", null)) {
            blobs.write(StoreIndex.FILE, index.toJson());
        }
        return ProjectConfig.load(dir, Map.of("account", "123456789012"), Map.of("model_store", store.toString(), "extra_models", extraModels,
                "model_memory_budget", "30Mi", "num_servers", "3", "model_replicas", "1", "bmk_model_skew", skew));
    }

    @Test
    void serversGetEveryCatalogModelPinnedAndClientsItsNames() {
        Config c = config("v1*", "1.0");
        String pins = ServerEnv.env(c, 0, 8080, "/app/model").get("STORE_MODELS");
        List<String> expected = new java.util.ArrayList<>(List.of("tiny-bert-qa@aaaaaaaaaaaa"));
        List<String> names = new java.util.ArrayList<>();
        for (String n : new java.util.TreeSet<>(java.util.stream.IntStream.range(0, 200).mapToObj(i -> "v" + i)
                .filter(n -> n.startsWith("v1")).toList())) {
            expected.add(n + "@" + String.format("%012x", Integer.parseInt(n.substring(1))));
            names.add(n);
        }
        assertEquals(String.join(",", expected), pins);
        List<String> args = LoadClientArgs.args(c, "bmk", List.of("http://a:1", "http://b:1", "http://c:1"), "c0", null);
        int at = args.indexOf("--catalog");
        assertEquals(String.join(",", names), args.get(at + 1));
        assertEquals(List.of("--replicas", "1", "--skew", "1.0"), args.subList(at + 2, at + 6));
    }

    /**
     * Each server learns its index, the number of servers and model_replicas (what placement
     * needs to tell preferred from foreign requests) from every runtime; without a catalog none.
     */
    @Test
    void withACatalogEachServerGetsItsPlaceInEveryRuntime() {
        Config c = config("v1*", "1.0");
        Map<String, String> env = ServerEnv.env(c, 2, 8080, "/app/model");
        assertEquals(List.of("2", "3", "1"), List.of(env.get("SERVER_INDEX"), env.get("NUM_SERVERS"), env.get("MODEL_REPLICAS")));
        List<String> docker = new DockerCommands(c).serverRun(1, 8081);
        assertTrue(docker.contains("SERVER_INDEX=1") && docker.contains("NUM_SERVERS=3"), docker.toString());
        var pod = ((io.fabric8.kubernetes.api.model.apps.Deployment) new Manifests(c).server(1).get(1)).getSpec().getTemplate().getSpec();
        assertTrue(pod.getContainers().get(0).getEnv().stream().anyMatch(e -> e.getName().equals("SERVER_INDEX") && e.getValue().equals("1")),
                pod.getContainers().get(0).getEnv().toString());
        Config noCatalog = ProjectConfig.load(dir, Map.of(), Map.of("model_store", dir.resolve("store").toString(), "num_servers", "3"));
        assertTrue(!ServerEnv.env(noCatalog, 1, 8080, "/app/model").containsKey("SERVER_INDEX"), "nothing is placed without a catalog");
    }

    @Test
    void withoutACatalogTheClientGetsNoneAndABadSkewIsOneLine() {
        Config plain = ProjectConfig.load(dir, Map.of(), Map.of());
        assertTrue(!LoadClientArgs.args(plain, "bmk", List.of("http://a:1"), "c0", null).contains("--catalog"));
        CliError e = assertThrows(CliError.class, () -> config("*", "-1"));
        assertTrue(e.getMessage().startsWith("bmk_model_skew=-1 must not be negative"), e.getMessage());
    }
}
