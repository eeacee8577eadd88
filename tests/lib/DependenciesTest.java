package lib;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** JBang reads //DEPS from the sources, Maven reads pom.xml: both must name the same versions. */
class DependenciesTest {
    static final Pattern DEPS = Pattern.compile("^//DEPS\\s+(.+)$", Pattern.MULTILINE);

    @Test
    void everyJbangDependencyIsInThePomWithTheSameVersion() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        java.util.Properties props = new java.util.Properties();
        Matcher p = Pattern.compile("<(\\w[\\w.-]*\\.version)>([^<]+)</").matcher(pom);
        while (p.find()) {
            props.setProperty(p.group(1), p.group(2));
        }
        for (String key : props.stringPropertyNames()) {
            pom = pom.replace("${" + key + "}", props.getProperty(key));
        }
        List<String> missing = new ArrayList<>();
        List<Path> sources;
        try (Stream<Path> files = Stream.of("lib", "server", "client", ".").filter(d -> Files.isDirectory(Path.of(d)))
                .flatMap(d -> {
                    try {
                        return Files.list(Path.of(d)).toList().stream();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                })) {
            sources = files.filter(f -> f.toString().endsWith(".java")).toList();
        }
        int count = 0;
        for (Path source : sources) {
            Matcher m = DEPS.matcher(Files.readString(source));
            while (m.find()) {
                for (String gav : m.group(1).trim().split("\\s+")) {
                    count++;
                    String[] parts = gav.split(":");
                    String expected = "<groupId>" + parts[0] + "</groupId><artifactId>" + parts[1] + "</artifactId><version>" + parts[2] + "</version>";
                    if (!pom.contains(expected)) {
                        missing.add(source + ": " + gav);
                    }
                }
            }
        }
        assertTrue(count > 0, "found //DEPS lines");
        assertTrue(missing.isEmpty(), "not in pom.xml with the same version: " + missing);
    }
}
