package lib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
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
 * JBang reads //DEPS and //SOURCES from the sources, Maven reads pom.xml: both must name the same
 * versions, and every source must declare what it uses, itself or through the files its //SOURCES
 * bring (JBang follows them), so that each script compiles with only what it names.
 */
class DependenciesTest {
    static final Pattern DEPS = Pattern.compile("^//DEPS\\s+(.+)$", Pattern.MULTILINE);
    static final Pattern SOURCES = Pattern.compile("^//SOURCES\\s+(.+)$", Pattern.MULTILINE);
    /** Comments, text blocks, strings and char literals: what a use of a name must not be inside. */
    static final Pattern NOT_CODE = Pattern.compile("/\\*.*?\\*/|//[^\\n]*|\"\"\".*?\"\"\"|\"(?:\\\\.|[^\"\\\\\\n])*\"|'(?:\\\\.|[^'\\\\])'",
            Pattern.DOTALL);
    static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+)", Pattern.MULTILINE);
    /** A fully qualified class name used in code without an import, e.g. com.fasterxml.jackson.databind.ObjectMapper. */
    static final Pattern QUALIFIED = Pattern.compile("(?<![\\w.])((?:ai|com|io|org|software|info|picocli|net)\\.(?:[a-z]\\w*\\.)*[A-Z]\\w*)");
    /** A lib class named with its package, e.g. lib.config.Config (an import or in code): group 1 its folder, group 2 its name. */
    static final Pattern LIB_QUALIFIED = Pattern.compile("(?<![\\w.])lib\\.((?:[a-z]\\w*\\.)*)([A-Z]\\w*)");
    static final List<String> JDK_OR_OURS = List.of("java.", "javax.", "jdk.", "com.sun.", "org.w3c.", "org.xml.", "lib.", "server.",
            "client.", "bench.");

    /** Which declared artifact (group:artifact, any one of them) provides a package; the longest prefix wins. */
    static final Map<String, List<String>> PROVIDERS = Map.ofEntries(
            Map.entry("picocli", List.of("info.picocli:picocli")),
            Map.entry("com.fasterxml.jackson", List.of("com.fasterxml.jackson.core:jackson-databind")),
            Map.entry("org.HdrHistogram", List.of("org.hdrhistogram:HdrHistogram")),
            Map.entry("org.knowm.xchart", List.of("org.knowm.xchart:xchart")),
            Map.entry("io.fabric8", List.of("io.fabric8:kubernetes-client")),
            Map.entry("software.amazon.awssdk.services.cloudformation", List.of("software.amazon.awssdk:cloudformation")),
            Map.entry("software.amazon.awssdk.services.ecr", List.of("software.amazon.awssdk:ecr")),
            Map.entry("software.amazon.awssdk.services.sts", List.of("software.amazon.awssdk:sts")),
            Map.entry("software.amazon.awssdk", List.of("software.amazon.awssdk:cloudformation", "software.amazon.awssdk:ecr",
                    "software.amazon.awssdk:sts")),
            Map.entry("ai.djl.huggingface", List.of("ai.djl.huggingface:tokenizers")),
            Map.entry("ai.djl.pytorch", List.of("ai.djl.pytorch:pytorch-engine")),
            Map.entry("ai.djl", List.of("ai.djl:api")),
            Map.entry("org.eclipse.jetty", List.of("org.eclipse.jetty:jetty-server")),
            Map.entry("io.helidon", List.of("io.helidon.webserver:helidon-webserver")),
            Map.entry("io.prometheus.metrics.core", List.of("io.prometheus:prometheus-metrics-core")),
            Map.entry("io.prometheus.metrics.expositionformats", List.of("io.prometheus:prometheus-metrics-exposition-textformats")),
            Map.entry("io.prometheus", List.of("io.prometheus:prometheus-metrics-core")),
            Map.entry("com.sun.jna", List.of("net.java.dev.jna:jna")),
            Map.entry("org.slf4j", List.of("org.slf4j:slf4j-api")));

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
        int count = 0;
        for (Path source : sources()) {
            for (String gav : deps(source)) {
                count++;
                if (!pom.contains(pomEntry(gav))) {
                    missing.add(source + ": " + gav);
                }
            }
        }
        assertTrue(count > 0, "found //DEPS lines");
        assertTrue(missing.isEmpty(), "not in pom.xml with the same version: " + missing);
    }

    /** The quick steps compile only what they use: neither DJL nor fabric8 is in their closure. */
    @Test
    void theQuickStepsCompileNeitherDjlNorFabric8() {
        for (String script : List.of("config.java", "login.java", "provision.java", "remove.java")) {
            List<String> heavy = closure(Path.of(script)).stream().flatMap(f -> deps(f).stream())
                    .filter(gav -> gav.startsWith("ai.djl") || gav.startsWith("io.fabric8")).toList();
            assertEquals(List.of(), heavy, script + " reaches through //SOURCES");
        }
        assertTrue(closure(Path.of("deploy.java")).stream().flatMap(f -> deps(f).stream()).anyMatch(g -> g.startsWith("io.fabric8")),
                "deploy.java reaches fabric8 (the check sees through //SOURCES)");
    }

    /** How pom.xml names a //DEPS coordinate: a BOM as an import, a versionless artifact without a version. */
    static String pomEntry(String gav) {
        String[] parts = gav.replace("@pom", "").split(":");
        String ga = "<groupId>" + parts[0] + "</groupId><artifactId>" + parts[1] + "</artifactId>";
        if (gav.endsWith("@pom")) {
            return ga + "<version>" + parts[2] + "</version><type>pom</type><scope>import</scope>";
        }
        return parts.length == 2 ? ga + "</dependency>" : ga + "<version>" + parts[2] + "</version>";
    }

    @Test
    void everySourceDeclaresTheLibrariesAndLibFilesItUses() throws IOException {
        assertEquals(List.of(), undeclared(Path.of("")));
    }

    @Test
    void aSourceThatUsesWhatItDoesNotDeclareIsNamed(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("lib/model"));
        Files.createDirectories(root.resolve("lib/cli"));
        Files.writeString(root.resolve("lib/model/Used.java"), "package lib.model;\n//DEPS ai.djl.huggingface:tokenizers\n"
                + "public class Used { ai.djl.huggingface.tokenizers.Encoding e; }\n");
        Files.writeString(root.resolve("lib/model/User.java"), "package lib.model;\n// Used is only named in this comment\n"
                + "public class User { Object u = new Used(); String s = \"Missing\"; }\n");
        Files.writeString(root.resolve("lib/model/Missing.java"), "package lib.model;\npublic class Missing {}\n");
        Files.writeString(root.resolve("lib/cli/Caller.java"), "package lib.cli;\n//SOURCES ../model/Missing.java\n"
                + "import lib.model.Used;\npublic class Caller { Used u; lib.model.Missing m; }\n");
        Files.writeString(root.resolve("run.java"), "///usr/bin/env sh\n//SOURCES lib/model/User.java\nimport lib.model.User;\n"
                + "import picocli.CommandLine;\nimport io.unknown.Thing;\nclass run {}\n");
        List<String> problems = undeclared(root);
        String r = root.toString();
        assertEquals(List.of(
                r + "/lib/cli/Caller.java uses lib/model/Used.java, which " + r + "/lib/cli/Caller.java does not reach through //SOURCES",
                r + "/lib/model/Used.java: " + r + "/lib/model/Used.java declares ai.djl.huggingface:tokenizers without a version, and no file it reaches declares a BOM",
                r + "/lib/model/User.java uses lib/model/Used.java, which " + r + "/lib/model/User.java does not reach through //SOURCES",
                r + "/run.java uses io.unknown.Thing, from a library DependenciesTest does not know: add it to PROVIDERS",
                r + "/run.java uses picocli.CommandLine but " + r + "/run.java does not declare info.picocli:picocli"
                        + " (in its //DEPS or those of the files its //SOURCES bring)"), problems);
    }

    /**
     * What the sources under root use without declaring it. A lib/ file is checked against the files
     * its own //SOURCES bring; a script (root, server, client, bench) against its closure, which
     * also covers the files of its own folder that it lists (server/*.java is one program).
     */
    static List<String> undeclared(Path root) throws IOException {
        List<String> problems = new ArrayList<>();
        Path libRoot = root.resolve("lib").normalize();
        Set<String> libClasses = new TreeSet<>(); // as paths below lib/ without .java: config/Config
        try (Stream<Path> lib = Files.walk(libRoot)) {
            lib.map(f -> libRoot.relativize(f).toString()).filter(n -> n.endsWith(".java"))
                    .forEach(n -> libClasses.add(n.substring(0, n.length() - 5)));
        }
        for (Path unit : sources(root)) {
            boolean isLib = inLib(unit);
            if (!isLib && !Files.readString(unit).startsWith("///usr/bin/env")) {
                continue; // not runnable: checked as part of the script that lists it
            }
            Set<Path> closure = closure(unit);
            Set<String> declared = new TreeSet<>();
            for (Path f : closure) {
                for (String gav : deps(f)) {
                    String[] parts = gav.split(":");
                    declared.add(parts[0] + ":" + parts[1]);
                    if (parts.length == 2 && !bomDeclared(closure)) {
                        problems.add(unit + ": " + f + " declares " + gav + " without a version, and no file it reaches declares a BOM");
                    }
                }
            }
            for (Path f : closure) {
                // the unit itself; for a script also the files of its folder it lists (other lib files are units of their own)
                if (!f.equals(unit) && (isLib || !folder(f).equals(folder(unit)))) {
                    continue;
                }
                String code = code(f);
                String ownPackage = inLib(f) ? libRoot.relativize(folder(f).normalize()).toString() : null;
                for (String used : usedLibClasses(code, ownPackage, libClasses)) {
                    Path usedFile = libRoot.resolve(used + ".java").normalize();
                    if (!f.equals(usedFile) && !closure.contains(usedFile)) {
                        problems.add(f + " uses lib/" + used + ".java, which " + unit + " does not reach through //SOURCES");
                    }
                }
                for (String name : usedPackages(code)) {
                    List<String> providers = providers(name);
                    if (providers == null) {
                        problems.add(f + " uses " + name + ", from a library DependenciesTest does not know: add it to PROVIDERS");
                    } else if (providers.stream().noneMatch(declared::contains)) {
                        problems.add(f + " uses " + name + " but " + unit + " does not declare " + String.join(" or ", providers)
                                + " (in its //DEPS or those of the files its //SOURCES bring)");
                    }
                }
            }
        }
        return problems;
    }

    static Path folder(Path f) {
        return f.getParent() == null ? Path.of("") : f.getParent();
    }

    /** Whether f lies in lib/ or a folder below it. */
    static boolean inLib(Path f) {
        for (Path p = f.getParent(); p != null; p = p.getParent()) {
            if (p.getFileName() != null && p.getFileName().toString().equals("lib")) {
                return true;
            }
        }
        return false;
    }

    static boolean bomDeclared(Set<Path> closure) {
        return closure.stream().flatMap(f -> deps(f).stream()).anyMatch(g -> g.endsWith("@pom"));
    }

    static List<String> providers(String name) {
        String best = null;
        for (String prefix : PROVIDERS.keySet()) {
            if ((name.equals(prefix) || name.startsWith(prefix + ".")) && (best == null || prefix.length() > best.length())) {
                best = prefix;
            }
        }
        return best == null ? null : PROVIDERS.get(best);
    }

    static String code(Path f) throws IOException {
        return NOT_CODE.matcher(Files.readString(f)).replaceAll(m -> m.group().startsWith("\"") ? "\"\"" : " ");
    }

    /** Names of library classes used: imports and fully qualified names, minus the JDK's and ours. */
    static Set<String> usedPackages(String code) {
        Set<String> names = new TreeSet<>();
        for (Pattern p : List.of(IMPORT, QUALIFIED)) {
            Matcher m = p.matcher(code);
            while (m.find()) {
                String name = m.group(1);
                if (JDK_OR_OURS.stream().noneMatch(name::startsWith)) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    /**
     * lib classes used (as paths below lib/ without .java): by simple name those of its own package
     * (ownPackage, a folder below lib/; null outside lib), as lib.folder.Name (import or in code) any.
     */
    static Set<String> usedLibClasses(String code, String ownPackage, Set<String> libClasses) {
        Set<String> used = new TreeSet<>();
        Matcher m = LIB_QUALIFIED.matcher(code);
        while (m.find()) {
            used.add(m.group(1).replace('.', '/') + m.group(2));
        }
        if (ownPackage != null) {
            String prefix = ownPackage.isEmpty() ? "" : ownPackage + "/";
            for (String c : libClasses) {
                String name = c.substring(c.lastIndexOf('/') + 1);
                if (c.equals(prefix + name) && Pattern.compile("(?<![\\w.])" + name + "\\b").matcher(code).find()) {
                    used.add(c);
                }
            }
        }
        used.retainAll(libClasses);
        return used;
    }

    /** A file and every file its //SOURCES bring, transitively (paths relative to the declaring file). */
    static Set<Path> closure(Path start) {
        Set<Path> seen = new LinkedHashSet<>();
        Deque<Path> todo = new ArrayDeque<>(List.of(start.normalize()));
        while (!todo.isEmpty()) {
            Path f = todo.pop();
            if (!seen.add(f)) {
                continue;
            }
            for (String s : declared(f, SOURCES)) {
                Path dir = folder(f);
                if (s.contains("*")) {
                    try (var matches = Files.newDirectoryStream(dir.resolve(s).getParent(), Path.of(s).getFileName().toString())) {
                        matches.forEach(x -> todo.push(x.normalize()));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                } else {
                    todo.push(dir.resolve(s).normalize());
                }
            }
        }
        return seen;
    }

    static List<String> deps(Path f) {
        return declared(f, DEPS);
    }

    static List<String> declared(Path f, Pattern directive) {
        List<String> values = new ArrayList<>();
        try {
            Matcher m = directive.matcher(Files.readString(f));
            while (m.find()) {
                values.addAll(List.of(m.group(1).trim().split("\\s+")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(f + " (named in a //SOURCES line?)", e);
        }
        return values;
    }

    static List<Path> sources() throws IOException {
        return sources(Path.of(""));
    }

    static List<Path> sources(Path root) throws IOException {
        List<Path> all = new ArrayList<>();
        for (String d : List.of("lib", "server", "client", "bench", "")) {
            Path dir = d.isEmpty() ? root : root.resolve(d);
            if (Files.isDirectory(dir)) {
                try (Stream<Path> files = d.equals("lib") ? Files.walk(dir) : Files.list(dir)) {
                    files.filter(f -> f.toString().endsWith(".java")).map(Path::normalize).sorted().forEach(all::add);
                }
            }
        }
        return all;
    }
}
