package scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import support.Scripts;
import support.Scripts.Run;

/** Every lifecycle script, run as a real process through the launcher on its first line. */
class ScriptsTest {
    @TempDir
    static Path dir;
    static Path project;

    @BeforeAll
    static void project() throws IOException {
        project = Scripts.project(dir, Map.of());
    }

    @ParameterizedTest
    @ValueSource(strings = {"config", "login", "provision", "build", "trace", "pack", "deploy", "test", "remove"})
    void everyScriptHasHelpAndVersion(String name) {
        String script = name + ".java";
        assertTrue(Files.isExecutable(Scripts.ROOT.resolve(script)), script + " is executable");
        Run help = Scripts.run(project, script, "--help");
        assertEquals(0, help.exitCode(), help::toString);
        assertTrue(help.stdout().startsWith("Usage: " + script), help::toString);
        assertTrue(help.stdout().contains("-D=key=value"), "every script takes -D overrides");

        Run helpCommand = Scripts.run(project, script, "help");
        assertEquals(0, helpCommand.exitCode(), helpCommand::toString);
        assertEquals(help.stdout(), helpCommand.stdout());

        Run version = Scripts.run(project, script, "--version");
        assertEquals(0, version.exitCode(), version::toString);
        assertTrue(version.stdout().startsWith("jdo-inference "), version::toString);
    }

    @Test
    void subCommandsOfTheOriginalAreThere() {
        String deploy = Scripts.run(project, "deploy.java", "--help").stdout();
        for (String sub : new String[] {"run", "status", "logs", "exec", "stop"}) {
            assertTrue(deploy.contains("  " + sub + " "), "deploy has " + sub);
        }
        String test = Scripts.run(project, "test.java", "--help").stdout();
        for (String sub : new String[] {"build", "push", "pull", "run", "exec", "logs", "status", "stop"}) {
            assertTrue(test.contains("  " + sub + " "), "test has " + sub);
        }
        for (String script : new String[] {"build.java", "pack.java"}) {
            String text = Scripts.run(project, script, "--help").stdout();
            assertTrue(text.contains("  push ") && text.contains("  pull "), script + " has push and pull");
        }
        Run sub = Scripts.run(project, "deploy.java", "help", "status");
        assertTrue(sub.stdout().startsWith("Usage: deploy.java status"), sub::toString);
    }

    @Test
    void configShowAndValidateWork() {
        Run show = Scripts.run(project, "config.java", "show");
        assertEquals(0, show.exitCode(), show::toString);
        assertTrue(show.stdout().contains("processor"), show::toString);
        assertTrue(show.stdout().matches("(?s).*app_name\\s+tiny-bert-qa-cpu\\s+default.*")
                || show.stdout().matches("(?s).*app_name\\s+tiny-bert-qa-cpu\\s+file.*"), show::toString);

        Run validate = Scripts.run(project, "config.java", "validate");
        assertEquals(0, validate.exitCode(), validate::toString);

        Run get = Scripts.run(project, "config.java", "get", "app_dir", "-Dprocessor=gpu");
        assertEquals("app-tiny-bert-qa-gpu-g4dn.xlarge", get.stdout().strip(), get::toString);

        Run mismatch = Scripts.run(project, "config.java", "validate", "-Dprocessor=gpu", "-Dinstance_type=c7g.4xlarge");
        assertEquals(0, mismatch.exitCode(), "a warning, not an error: " + mismatch);
        assertTrue(mismatch.stderr().contains("[WARN] instance_type=c7g.4xlarge has no NVIDIA GPU and is arm64: processor=gpu"), mismatch::toString);
        assertFalse(validate.stderr().contains("[WARN] instance_type"), "the shipped defaults fit: " + validate);
    }

    @Test
    void badConfigurationIsOneLineAndExitCode2() {
        Run tpu = Scripts.run(project, "config.java", "show", "-Dprocessor=tpu");
        assertEquals(2, tpu.exitCode(), tpu::toString);
        assertEquals("error: processor=tpu is not one of cpu, gpu, graviton, inf1, inf2 (from -Dprocessor)", tpu.stderr().strip());
        assertEquals("", tpu.stdout());

        Run typo = Scripts.run(project, "deploy.java", "status", "--set", "num_server=2");
        assertEquals(2, typo.exitCode(), typo::toString);
        assertTrue(typo.stderr().contains("unknown key 'num_server' (did you mean num_servers?)"), typo::toString);
    }

    @Test
    void serverIndexOutOfRangeIsBadInput() {
        Run run = Scripts.run(project, "deploy.java", "status", "2", "-Dnum_servers=2");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.stderr().contains("server index 2 is out of range: num_servers=2, so it must be 0 to 1"), run::toString);
        Run bad = Scripts.run(project, "deploy.java", "exec", "x");
        assertEquals(2, bad.exitCode(), bad::toString);
    }

    @Test
    void configEditOpensTheEditorThenValidates() throws IOException {
        Path own = Scripts.project(dir.resolve("edit"), Map.of());
        Run ok = Scripts.run(own, Map.of("EDITOR", "sed -i s/^num_servers=2$/num_servers=4/"), 600, "config.java", "edit");
        assertEquals(0, ok.exitCode(), ok::toString);
        assertEquals("4", Scripts.run(own, "config.java", "get", "num_servers").stdout().strip());
        Run bad = Scripts.run(own, Map.of("EDITOR", "sed -i s/^processor=cpu$/processor=tpu/"), 600, "config.java", "edit");
        assertEquals(2, bad.exitCode(), bad::toString);
        assertTrue(bad.stderr().contains("processor=tpu is not one of cpu, gpu, graviton, inf1, inf2"), bad::toString);
    }

    @Test
    void traceOfAMissingModelIsOneLineNamingThePath() {
        Run run = Scripts.run(project, "trace.java", "-Dmodel_source=/no/such.pt");
        assertEquals(2, run.exitCode(), run::toString);
        assertEquals("error: model_source: no such file or folder: /no/such.pt", run.stderr().lines()
                .filter(l -> !l.startsWith("[jbang]")).reduce("", (a, b) -> a + b).strip());
    }

    @Test
    void configSetKeepsTheFileAndRefusesBadValues() throws IOException {
        Path own = Scripts.project(dir.resolve("set"), Map.of());
        Run ok = Scripts.run(own, "config.java", "set", "num_servers", "3");
        assertEquals(0, ok.exitCode(), ok::toString);
        assertEquals("3", Scripts.run(own, "config.java", "get", "num_servers").stdout().strip());
        String before = Files.readString(own.resolve("config.properties"));
        Run bad = Scripts.run(own, "config.java", "set", "runtime", "mesos");
        assertEquals(2, bad.exitCode(), bad::toString);
        assertEquals(before, Files.readString(own.resolve("config.properties")));
    }
}
