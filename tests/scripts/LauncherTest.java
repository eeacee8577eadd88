package scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.Scripts;

/** The ./jbang launcher: finding a JDK 21+, saying what to install, resolving JBang only once. */
class LauncherTest {
    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
    }

    Result launcher(Map<String, String> env, String... args) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of("sh", Scripts.ROOT.resolve("jbang").toString()));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        return new Result(p.exitValue(), Files.readString(dir.resolve("out"), StandardCharsets.UTF_8), Files.readString(dir.resolve("err"), StandardCharsets.UTF_8));
    }

    @Test
    void findsAJdkOf21OrNewer() throws Exception {
        Result r = launcher(Map.of(), "--java-home");
        assertEquals(0, r.code(), r.err());
        Path java = Path.of(r.out().strip(), "bin", "java");
        assertTrue(Files.isExecutable(java), r.out());
        Process p = new ProcessBuilder(java.toString(), "-XshowSettings:properties", "-version").redirectErrorStream(true).start();
        String settings = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int version = Integer.parseInt(settings.replaceAll("(?s).*java\\.specification\\.version = (\\d+).*", "$1"));
        assertTrue(version >= 21, "found Java " + version);
    }

    @Test
    void saysWhatToInstallWhenThereIsNoJdk21() throws Exception {
        Result r = launcher(Map.of("JAVA_HOME", "/nonexistent", "PATH", "/nonexistent-bin:/bin", "JDO_JDK_SEARCH", "/nonexistent/*"), "--java-home");
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("jbang launcher: no JDK 21 or newer found"), r.err());
        assertTrue(r.err().contains("apt-get install openjdk-21-jdk"), r.err());
    }

    @Test
    void aRootScriptRunsWithoutJbangUntilSomethingJbangReadsChanges() throws Exception {
        Path cache = dir.resolve("cache");
        Map<String, String> env = Map.of("JDO_CACHE", cache.toString(), "PATH", System.getenv("PATH").replaceAll("[^:]*jbang[^:]*:?", ""));
        Result first = launcher(env, Scripts.ROOT.resolve("config.java").toString(), "get", "app_name");
        assertEquals(0, first.code(), first.err());
        assertEquals("tiny-bert-qa-cpu\n", first.out());
        try (var kept = Files.list(cache.resolve("run"))) {
            assertEquals(1, kept.filter(f -> f.getFileName().toString().matches("\\d+-config-\\d+")).count(), "one command kept");
        }
        // without JBang's jars only the kept command can run the script
        try (var jars = Files.list(cache.resolve("jbang-0.132.1"))) {
            for (Path jar : jars.filter(f -> f.toString().endsWith(".jar")).toList()) {
                Files.delete(jar);
            }
        }
        Result again = launcher(env, Scripts.ROOT.resolve("config.java").toString(), "get", "app_name");
        assertEquals(0, again.code(), again.err());
        assertEquals("tiny-bert-qa-cpu\n", again.out());
        assertEquals("", again.err(), "nothing but the command's output");
        Map<String, String> changed = new java.util.HashMap<>(env);
        changed.put("JBANG_REPO", dir.resolve("repo").toString()); // a JBang setting: JBang must be asked again
        Result asked = launcher(changed, Scripts.ROOT.resolve("config.java").toString(), "get", "app_name");
        assertTrue(asked.code() != 0 && asked.out().isEmpty(), "JBang was asked (and is gone): " + asked);
    }

    @Test
    void resolvesJbangOnceIntoItsCache() throws Exception {
        Map<String, String> env = Map.of("JDO_CACHE", dir.resolve("cache").toString(), "PATH", System.getenv("PATH").replaceAll("[^:]*jbang[^:]*:?", ""));
        Result first = launcher(env, "--version");
        assertEquals(0, first.code(), first.err());
        assertTrue(first.err().contains("resolving JBang 0.132.1 from Maven Central (once)"), first.err());
        assertTrue(first.err().strip().endsWith("0.132.1"), first.err()); // jbang prints its version on stderr
        assertTrue(Files.exists(dir.resolve("cache/jbang-0.132.1/.complete")));
        Result second = launcher(env, "--version");
        assertEquals(0, second.code(), second.err());
        assertFalse(second.err().contains("resolving"), second.err());
        assertEquals("0.132.1", second.err().strip());
    }
}
