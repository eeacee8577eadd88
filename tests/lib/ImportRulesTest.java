package lib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * lib/'s folders import one way: the table "lib/ by concept" in docs/architecture.md says which
 * folders each may import (all above it in the table), and this test holds the sources to it,
 * both their Java imports and their //SOURCES lines (JBang does not end a loop between folders).
 */
class ImportRulesTest {
    /** A row of the table: | `folder` | holds | may import |. */
    static final Pattern ROW = Pattern.compile("^\\| `(\\w+)` \\|[^|]*\\|([\\w, ]*)\\|\\s*$", Pattern.MULTILINE);
    static final Pattern LIB_REF = Pattern.compile("(?<![\\w.])lib\\.([a-z]\\w*)\\.");
    static final Pattern SOURCES = Pattern.compile("^//SOURCES\\s+(.+)$", Pattern.MULTILINE);
    /** What the folders outside lib/ may import (docs/architecture.md says it below the table). */
    static final Map<String, Set<String>> OUTSIDE = Map.of("server", Set.of("model", "config"), "client", Set.of("report"));

    @Test
    void libImportsFollowTheTableInTheArchitecture() throws IOException {
        Map<String, Set<String>> rules = rules(Path.of(""));
        assertTrue(rules.keySet().containsAll(List.of("cli", "config", "model", "runtime")), "table rows read: " + rules.keySet());
        assertEquals(List.of(), violations(Path.of("")));
    }

    @Test
    void anImportOrSourcesLineAgainstTheRulesIsNamed(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(root.resolve("docs/architecture.md"), """
                | folder | holds | may import |
                |---|---|---|
                | `low` | bottom | |
                | `high` | top | low |
                | `loop` | wrong | low, later |
                | `later` | after | |
                """);
        for (String d : List.of("low", "high", "later", "loop", "stray")) {
            Files.createDirectories(root.resolve("lib/" + d));
        }
        Files.writeString(root.resolve("lib/high/H.java"), "package lib.high;\n//SOURCES ../low/L.java\nimport lib.low.L;\nclass H {}\n");
        Files.writeString(root.resolve("lib/low/L.java"), "package lib.low;\n//SOURCES ../high/H.java\n"
                + "// lib.high.H in a comment is no import\nclass L { Object h = new lib.high.H(); }\n");
        Files.createDirectories(root.resolve("server"));
        Files.writeString(root.resolve("server/S.java"), "package server;\nimport lib.high.H;\nclass S {}\n");
        assertEquals(List.of(
                "docs/architecture.md: loop may import later, which is not above it in the table",
                "lib/stray has no row in the table of docs/architecture.md",
                "lib/low/L.java: //SOURCES ../high/H.java reaches lib/high, which low may not import",
                "lib/low/L.java: uses lib.high, which low may not import",
                "server/S.java: uses lib.high, which server may not import"), violations(root));
    }

    /** The table's rows in order: folder -> the folders it may import. */
    static Map<String, Set<String>> rules(Path root) throws IOException {
        Map<String, Set<String>> rules = new LinkedHashMap<>();
        Matcher m = ROW.matcher(Files.readString(root.resolve("docs/architecture.md")));
        while (m.find()) {
            Set<String> allowed = new TreeSet<>();
            for (String s : m.group(2).split(",")) {
                if (!s.isBlank()) {
                    allowed.add(s.strip());
                }
            }
            rules.put(m.group(1), allowed);
        }
        return rules;
    }

    static List<String> violations(Path root) throws IOException {
        List<String> problems = new ArrayList<>();
        Map<String, Set<String>> rules = rules(root);
        List<String> order = new ArrayList<>(rules.keySet());
        rules.forEach((folder, allowed) -> allowed.stream()
                .filter(a -> !order.contains(a) || order.indexOf(a) >= order.indexOf(folder))
                .forEach(a -> problems.add("docs/architecture.md: " + folder + " may import " + a + ", which is not above it in the table")));
        try (Stream<Path> dirs = Files.list(root.resolve("lib"))) {
            dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).sorted().filter(d -> !rules.containsKey(d))
                    .forEach(d -> problems.add("lib/" + d + " has no row in the table of docs/architecture.md"));
        }
        List<Path> files;
        try (Stream<Path> all = Stream.of("lib", "server", "client").map(root::resolve).filter(Files::isDirectory)
                .flatMap(ImportRulesTest::walk)) {
            files = all.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
        for (Path f : files) {
            Path rel = root.relativize(f);
            boolean inLib = rel.getName(0).toString().equals("lib");
            String folder = rel.getName(inLib ? 1 : 0).toString();
            Set<String> allowed = inLib ? rules.getOrDefault(folder, Set.of()) : OUTSIDE.getOrDefault(folder, Set.of());
            String text = Files.readString(f);
            if (inLib) {
                Matcher s = SOURCES.matcher(text);
                while (s.find()) {
                    for (String source : s.group(1).trim().split("\\s+")) {
                        Path target = root.relativize(f.getParent().resolve(source).normalize());
                        String to = target.getNameCount() > 2 && target.getName(0).toString().equals("lib") ? target.getName(1).toString() : null;
                        if (to != null && !to.equals(folder) && !allowed.contains(to)) {
                            problems.add(rel + ": //SOURCES " + source + " reaches lib/" + to + ", which " + folder + " may not import");
                        }
                    }
                }
            }
            Set<String> used = new TreeSet<>();
            Matcher m = LIB_REF.matcher(DependenciesTest.code(f));
            while (m.find()) {
                used.add(m.group(1));
            }
            used.remove(inLib ? folder : "");
            used.stream().filter(u -> !allowed.contains(u))
                    .forEach(u -> problems.add(rel + ": uses lib." + u + ", which " + folder + " may not import"));
        }
        return problems;
    }

    static Stream<Path> walk(Path dir) {
        try {
            return Files.walk(dir).toList().stream();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
