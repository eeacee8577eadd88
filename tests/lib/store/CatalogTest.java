package lib.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class CatalogTest {
    static final List<String> INDEX = java.util.stream.Stream.concat(names(), java.util.stream.Stream.of("tiny", "roberta-a", "bert")).toList();

    static java.util.stream.Stream<String> names() {
        return IntStream.range(0, 3000).mapToObj(i -> String.format("bert-%04d", i));
    }

    @Test
    void starServesEveryModelOfTheIndexButTheOnesServedAnyway() {
        List<String> all = Catalog.parse("*").expand(INDEX, Set.of("tiny"), "s3://b/m");
        assertEquals(3002, all.size());
        assertTrue(!all.contains("tiny") && all.contains("roberta-a") && all.contains("bert-2999"));
        assertEquals(all.stream().sorted().toList(), all, "catalog order is the names' order");
    }

    @Test
    void aPrefixAndNamesSelectTheirsOnceEach() {
        assertEquals(3000, Catalog.parse("bert-*").expand(INDEX, Set.of(), "x").size());
        assertEquals(List.of("bert", "bert-0007", "roberta-a"), Catalog.parse("roberta-a, bert-0007,bert,bert-0007").expand(INDEX, Set.of(), "x"));
        assertEquals(3001, Catalog.parse("bert*,bert-0001").expand(INDEX, Set.of(), "x").size());
    }

    @Test
    void sourcedEntriesAreModelSetsAndKeptApart() {
        Catalog c = Catalog.parse("a=./m*2, bert-*");
        assertEquals(List.of("bert-*"), c.selectors());
        assertEquals("a=./m*2", Catalog.sourcedEntries("a=./m*2, bert-*"));
        assertTrue(Catalog.parse("a=./m").isEmpty());
        assertTrue(Catalog.parse("").isEmpty());
    }

    @Test
    void aSelectorThatIsWrongOrMatchesNothingIsOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Catalog.parse("gpt-*").expand(INDEX, Set.of(), "s3://b/m"));
        assertEquals("extra_models entry 'gpt-*' matches no model of the store index of s3://b/m: run ./pack.java push", e.getMessage());
        for (String bad : List.of("b*rt", "../x", "a b", "**", "x/y*")) {
            assertThrows(IllegalArgumentException.class, () -> Catalog.parse(bad), bad);
        }
    }
}
