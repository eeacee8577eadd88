package lib.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Switching processor is one key: instance_type follows it unless set, and a mismatch is named. */
class ProcessorDefaultsTest {
    @TempDir
    Path dir;

    Config config(Map<String, String> overrides) {
        return support.ProjectConfig.load(dir, Map.of(), overrides);
    }

    @Test
    void instanceTypeFollowsProcessorInTheShippedConfiguration() {
        Map<String, String> expected = Map.of("cpu", "c5.4xlarge", "graviton", "c7g.4xlarge", "gpu", "g4dn.xlarge",
                "inf1", "inf1.xlarge", "inf2", "inf2.xlarge");
        expected.forEach((processor, type) -> {
            Config c = config(Map.of("processor", processor));
            assertEquals(type, c.get("instance_type"), processor);
            assertEquals("app-tiny-bert-qa-" + processor + "-" + type, c.get("app_dir"), processor);
            assertEquals(Optional.empty(), ProcessorDefaults.instanceTypeProblem(type, processor), "its own default serves " + processor);
        });
        Config.Entry shown = config(Map.of("processor", "gpu")).entries().stream().filter(e -> e.key().equals("instance_type")).findFirst().orElseThrow();
        assertEquals("g4dn.xlarge", shown.value());
        assertEquals("follows processor", shown.note());
    }

    @Test
    void anInstanceTypeTheUserSetIsKept() {
        assertEquals("g5.2xlarge", config(Map.of("processor", "cpu", "instance_type", "g5.2xlarge")).get("instance_type"));
        Config.Entry shown = config(Map.of("instance_type", "m6i.large")).entries().stream().filter(e -> e.key().equals("instance_type")).findFirst().orElseThrow();
        assertEquals("", shown.note());
    }

    @Test
    void instanceTypesThatCannotServeAProcessorAreNamedWithTheReason() {
        assertEquals("instance_type=c7g.4xlarge has no NVIDIA GPU and is arm64: processor=gpu servers ask for nvidia.com/gpu and stay Pending"
                + " (use e.g. g4dn.xlarge or g5.xlarge)", ProcessorDefaults.instanceTypeProblem("c7g.4xlarge", "gpu").orElseThrow());
        assertTrue(ProcessorDefaults.instanceTypeProblem("m5.large", "gpu").orElseThrow().contains("has no NVIDIA GPU:"));
        assertTrue(ProcessorDefaults.instanceTypeProblem("c5.4xlarge", "graviton").orElseThrow().contains("is x86_64: processor=graviton images are arm64"));
        assertTrue(ProcessorDefaults.instanceTypeProblem("c7g.4xlarge", "cpu").orElseThrow().contains("is arm64 (Graviton): processor=cpu images are x86_64"));
        assertTrue(ProcessorDefaults.instanceTypeProblem("inf2.xlarge", "inf1").orElseThrow().contains("processor=inf1 needs inf1.*"));
        assertTrue(ProcessorDefaults.instanceTypeProblem("c5.4xlarge", "inf2").orElseThrow().contains("processor=inf2 needs inf2.* or trn1.*"));
        for (String[] fine : new String[][] {{"g5.xlarge", "gpu"}, {"p4d.24xlarge", "gpu"}, {"g6e.xlarge", "gpu"}, {"m7g.large", "graviton"},
                {"c6gn.xlarge", "graviton"}, {"t4g.small", "graviton"}, {"c6i.2xlarge", "cpu"}, {"g4dn.xlarge", "cpu"}, {"inf1.6xlarge", "inf1"},
                {"trn1.2xlarge", "inf2"}}) {
            assertEquals(Optional.empty(), ProcessorDefaults.instanceTypeProblem(fine[0], fine[1]), fine[0] + " for " + fine[1]);
        }
        assertTrue(ProcessorDefaults.instanceTypeProblem("g5g.xlarge", "gpu").isPresent(), "g5g is arm64; the gpu image is x86_64");
    }
}
