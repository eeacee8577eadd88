package lib.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import lib.cli.CliError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {
    static final Path SHIPPED = Path.of("config.properties");

    @TempDir
    Path dir;

    Path write(String text) throws IOException {
        Path file = dir.resolve("config.properties");
        Files.writeString(file, text);
        return file;
    }

    static CliError badInput(Runnable r) {
        CliError e = assertThrows(CliError.class, r::run);
        assertEquals(CliError.BAD_INPUT, e.exitCode(), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e;
    }

    @Test
    void shippedFileIsValidAndItsValuesAreTheSchemaDefaults() throws IOException {
        Map<String, String> file = Config.parse(Files.readString(SHIPPED), SHIPPED);
        assertEquals(ConfigKeys.all().keySet(), file.keySet(), "the shipped file holds every key, and only known keys");
        ConfigKeys.all().forEach((key, spec) -> assertEquals(spec.defaultValue(), file.get(key), "default of " + key));
        Config config = Config.load(SHIPPED, Map.of());
        assertEquals("tiny-bert-qa-cpu", config.get("app_name"));
        assertEquals("app-tiny-bert-qa-cpu-c5.4xlarge", config.get("app_dir"));
        assertEquals("local", config.runtime());
    }

    @Test
    void everyKeyOfTheOriginalIsKnown() {
        for (String key : List.of("verbose", "huggingface_model_name", "huggingface_tokenizer_class", "huggingface_model_class",
                "processor", "pipeline_cores", "sequence_length", "batch_size", "test", "account", "region", "registry",
                "registry_type", "base_image_name", "base_image_tag", "model_image_name", "model_image_tag", "trace_opts_cpu",
                "trace_opts_gpu", "trace_opts_inf1", "trace_opts_inf2", "trace_opts_graviton", "runtime", "num_models", "quiet",
                "postprocess", "service_port", "instance_type", "num_servers", "namespace", "app_name", "app_dir",
                "test_image_name", "test_image_tag", "request_frequency", "num_requests", "num_test_containers",
                "test_instance_type", "test_namespace", "test_dir")) {
            assertTrue(ConfigKeys.find(key).isPresent(), key);
        }
    }

    @Test
    void referencesResolveThroughOtherKeysAndOverrides() throws IOException {
        Path file = write("processor=gpu\nhuggingface_model_name=bert\napp_name=${huggingface_model_name}-${processor}\n");
        assertEquals("bert-gpu", Config.load(file, Map.of()).get("app_name"));
        assertEquals("bert-inf2", Config.load(file, Map.of("processor", "inf2")).get("app_name"));
        assertEquals("app-bert-inf2-inf2.xlarge", Config.load(file, Map.of("processor", "inf2")).get("app_dir"));
        assertEquals(":v15-inf2", Config.load(file, Map.of("processor", "inf2")).get("model_image_tag"), "defaults resolve too");
    }

    @Test
    void missingKeysFallBackToDefaultsAndSayWhereValuesCameFrom() throws IOException {
        Path file = write("processor=graviton\n");
        Config config = Config.load(file, Map.of("num_servers", "4"));
        Map<String, Config.Entry> entries = new LinkedHashMap<>();
        config.entries().forEach(e -> entries.put(e.key(), e));
        assertEquals(Config.Origin.FILE, entries.get("processor").origin());
        assertEquals(Config.Origin.OVERRIDE, entries.get("num_servers").origin());
        assertEquals("4", entries.get("num_servers").value());
        assertEquals(Config.Origin.DEFAULT, entries.get("num_models").origin());
        assertEquals(Config.Origin.DERIVED, entries.get("account").origin());
        assertEquals("${account}.dkr.ecr.${region}.amazonaws.com/", entries.get("registry").value(), "not resolved without need");
    }

    @Test
    void unknownAndMisspelledKeysNameTheLineAndTheNearestKey() throws IOException {
        Path file = write("# comment\nprocesor=cpu\n");
        assertEquals("config.properties:2: unknown key 'procesor' (did you mean processor?)",
                badInput(() -> Config.load(file, Map.of())).getMessage());
        Path ok = write("processor=cpu\n");
        assertEquals("override -Dnum_model: unknown key 'num_model' (did you mean num_models?)",
                badInput(() -> Config.load(ok, Map.of("num_model", "2"))).getMessage());
        assertEquals("override -Dzzzzzzzz: unknown key 'zzzzzzzz'",
                badInput(() -> Config.load(ok, Map.of("zzzzzzzz", "2"))).getMessage());
    }

    @Test
    void invalidValuesNameTheKeyAndTheAllowedValues() throws IOException {
        Path file = write("processor=tpu\n");
        assertEquals("processor=tpu is not one of cpu, gpu, graviton, inf1, inf2 (in config.properties)",
                badInput(() -> Config.load(file, Map.of())).getMessage());
        Path ok = write("processor=cpu\n");
        assertEquals("runtime=mesos is not one of local, docker, kubernetes (from -Druntime)",
                badInput(() -> Config.load(ok, Map.of("runtime", "mesos"))).getMessage());
        assertTrue(badInput(() -> Config.load(ok, Map.of("num_servers", "two"))).getMessage()
                .startsWith("num_servers=two must be a whole number of at least 1"));
        assertTrue(badInput(() -> Config.load(ok, Map.of("num_servers", "0"))).getMessage().startsWith("num_servers=0"));
        assertTrue(badInput(() -> Config.load(ok, Map.of("service_port", "70000"))).getMessage()
                .startsWith("service_port=70000 must be a port number"));
        assertTrue(badInput(() -> Config.load(ok, Map.of("quiet", "maybe"))).getMessage()
                .startsWith("quiet=maybe is not one of True, False"));
        assertTrue(badInput(() -> Config.load(ok, Map.of("request_frequency", "-1"))).getMessage()
                .startsWith("request_frequency=-1 must not be negative"));
    }

    @Test
    void requiredValuesMustNotBeEmpty() throws IOException {
        Path file = write("processor=\n");
        assertEquals("processor is empty; it needs a value (one of cpu, gpu, graviton, inf1, inf2) (in config.properties)",
                badInput(() -> Config.load(file, Map.of())).getMessage());
        Path ok = write("trace_opts_cpu=\nkube_context=\n");
        assertEquals("", Config.load(ok, Map.of()).get("trace_opts_cpu"), "optional keys may be empty");
    }

    @Test
    void referencesToUnknownKeysAndCyclesAreErrors() throws IOException {
        Path unknown = write("app_name=x-${procesor}\n");
        assertEquals("app_name refers to unknown key '${procesor}' (did you mean processor?)",
                badInput(() -> Config.load(unknown, Map.of())).getMessage());
        Path cycle = write("app_name=${app_dir}\napp_dir=${app_name}\n");
        assertTrue(badInput(() -> Config.load(cycle, Map.of())).getMessage().startsWith("circular reference: "));
    }

    @Test
    void valuesAreDataNeverShell() throws IOException {
        Path file = write("trace_opts_gpu=\"--gpus 0\"\nnamespace=$(touch /tmp/jdo-pwned)\n");
        Config config = Config.load(file, Map.of());
        assertEquals("--gpus 0", config.get("trace_opts_gpu"), "shell quotes of the original's file are dropped");
        assertEquals("$(touch /tmp/jdo-pwned)", config.get("namespace"));
        assertFalse(Files.exists(Path.of("/tmp/jdo-pwned")));
        Path shell = write("account=$(aws sts get-caller-identity)\n");
        assertTrue(badInput(() -> Config.load(shell, Map.of())).getMessage().contains("Leave account empty to derive it from AWS STS"));
    }

    @Test
    void theAccountIsDerivedOnlyWhenNeededAndOnce() throws IOException {
        Path file = write("region=eu-west-1\n");
        AtomicInteger calls = new AtomicInteger();
        Config config = Config.load(file, Map.of()).deriveWith("account", () -> {
            calls.incrementAndGet();
            return "123456789012";
        });
        assertEquals("tiny-bert-qa-cpu", config.get("app_name"));
        config.entries();
        assertEquals(0, calls.get(), "nothing asked AWS yet");
        assertEquals("123456789012.dkr.ecr.eu-west-1.amazonaws.com/", config.get("registry"));
        assertEquals("123456789012.dkr.ecr.eu-west-1.amazonaws.com/aws-do-inference-base:v15-cpu", new Names(config).baseImage());
        assertEquals(1, calls.get());
        assertEquals("", Config.load(file, Map.of("registry", "")).get("registry"), "an empty registry needs no account");
        assertTrue(badInput(() -> Config.load(file, Map.of()).get("registry")).getMessage().startsWith("account is empty"));
    }

    @Test
    void setKeepsCommentsAndOrderAndAppendsNewKeys() throws IOException {
        Path file = write("# top\nprocessor=cpu\n\n# servers\nnum_servers=1 \nquiet=False\n");
        Config.set(file, "num_servers", "3");
        Config.set(file, "region", "eu-central-1");
        assertEquals("# top\nprocessor=cpu\n\n# servers\nnum_servers=3\nquiet=False\nregion=eu-central-1\n", Files.readString(file));
        String before = Files.readString(file);
        badInput(() -> Config.set(file, "processor", "tpu"));
        badInput(() -> Config.set(file, "procesor", "gpu"));
        assertEquals(before, Files.readString(file), "a refused value leaves the file as it was");
    }

    @Test
    void missingFileIsBadInput() {
        assertTrue(badInput(() -> Config.load(dir.resolve("nope.properties"), Map.of())).getMessage()
                .startsWith("configuration file not found: "));
    }

    @Test
    void nearestKeySuggestions() {
        assertEquals("num_servers", ConfigKeys.nearest("num_server").orElseThrow());
        assertEquals("processor", ConfigKeys.nearest("PROCESSOR").orElseThrow());
        assertTrue(ConfigKeys.nearest("completely_unrelated_thing").isEmpty());
        assertEquals(3, ConfigKeys.distance("kitten", "sitting"));
    }
}
