package lib.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import lib.cli.CliError;
import org.junit.jupiter.api.Test;

class StoreCatalogTest {
    static StoreIndex index(int models) {
        StoreIndex index = StoreIndex.empty().with(new StoreIndex.Entry("tiny", "0123456789ab", 17_000_000, "fp32", "cpu"));
        for (int i = 0; i < models; i++) {
            index = index.with(new StoreIndex.Entry(String.format("bert-%04d", i), String.format("%012x", i), 4_400_000, "int8", "cpu"));
        }
        return index;
    }

    @Test
    void theNamedModelsAndTheCatalogArePinnedAndPlaced() {
        StoreCatalog c = StoreCatalog.of(index(1000), Catalog.parse("*"), List.of("tiny"), "s3://b/m", 3, 2);
        assertEquals(List.of("tiny"), c.named().stream().map(StoreIndex.Entry::name).toList());
        assertEquals(1000, c.catalog().size());
        assertEquals(1001, c.all().size());
        assertEquals("bert-0000", c.catalogNames().getFirst());
        assertArrayEquals(Placement.preferred("bert-0042", 3, 2), c.preferred("bert-0042"));
        assertEquals(2000, Arrays.stream(c.modelsPerServer()).sum(), "each model on two servers");

        List<List<String>> rows = c.table();
        assertEquals(List.of("MODEL", "VERSION", "SIZE", "PRECISION", "SERVERS"), rows.getFirst());
        assertEquals(List.of("tiny", "0123456789ab", "17.0 MB", "fp32", "all"), rows.get(1));
        int[] p = Placement.preferred("bert-0000", 3, 2);
        assertEquals(List.of("bert-0000", "000000000000", "4.4 MB", "int8", p[0] + "," + p[1]), rows.get(2));
    }

    @Test
    void aNamedModelMissingFromTheIndexOrAnEmptySelectionIsOneLine() {
        CliError e = assertThrows(CliError.class, () -> StoreCatalog.of(index(3), Catalog.parse("*"), List.of("nope"), "s3://b/m", 2, 2));
        assertEquals("model nope is not in the store index of s3://b/m: run ./pack.java push", e.getMessage());
        e = assertThrows(CliError.class, () -> StoreCatalog.of(index(3), Catalog.parse("gpt-*"), List.of("tiny"), "s3://b/m", 2, 2));
        assertEquals("extra_models entry 'gpt-*' matches no model of the store index of s3://b/m: run ./pack.java push", e.getMessage());
        assertThrows(CliError.class, () -> StoreCatalog.of(index(3), Catalog.parse("*"), List.of("tiny"), "x", 2, 0));
    }

    @Test
    void aPrefixSelectsPartOfABigIndex() {
        StoreCatalog c = StoreCatalog.of(index(3000), Catalog.parse("bert-00*"), List.of("tiny"), "x", 8, 2);
        assertEquals(IntStream.range(0, 100).mapToObj(i -> String.format("bert-%04d", i)).toList(), c.catalogNames());
    }
}
