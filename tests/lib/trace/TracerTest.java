package lib.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import lib.cli.CliError;
import lib.config.Config;
import lib.model.LoadedModel;
import lib.model.ModelSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** model_source kinds and the trace folder (the model itself is checked in QaModelTest). */
class TracerTest {
    @TempDir
    Path dir;

    Config config(Map<String, String> overrides) {
        return support.ProjectConfig.load(dir, Map.of(), overrides);
    }

    static CliError error(int code, Runnable r) {
        CliError e = assertThrows(CliError.class, r::run);
        assertEquals(code, e.exitCode(), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    @Test
    void bundledSourceWritesTheTraceFolderWithMetadata() throws Exception {
        Config c = config(Map.of("model_source", "bundled", "batch_size", "1", "sequence_length", "128"));
        Path out = Tracer.trace(c);
        assertEquals(dir.resolve("trace-tiny-bert-qa"), out);
        Path pt = out.resolve("tiny-bert-qa_bs1_seq128_pc1_cpu.pt");
        assertTrue(Files.isRegularFile(pt));
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
        JsonNode meta = new ObjectMapper().readTree(out.resolve("metadata.json").toFile());
        assertEquals("tiny-bert-qa", meta.get("model").asText());
        assertEquals("cpu", meta.get("processor").asText());
        assertEquals(128, meta.get("sequence_length").asInt());
        assertEquals("tiny-bert-qa_bs1_seq128_pc1_cpu.pt", meta.get("file").asText());
        assertEquals(Tracer.sha256(pt), meta.get("sha256").asText());
        assertEquals(Tracer.sha256(Path.of("models/bundled/tiny-bert-qa.pt")), meta.get("sha256").asText());
        assertEquals("input_ids", meta.get("inputs").get(0).get("name").asText());
        assertEquals("end_logits", meta.get("outputs").get(1).get("name").asText());
        assertFalse(Files.exists(dir.resolve("trace-tiny-bert-qa.tmp")), "no work folder left behind");
    }

    @Test
    void localFileAndFolderSources() throws Exception {
        Path src = Files.createDirectories(dir.resolve("mine"));
        Files.copy(Path.of("models/bundled/tiny-bert-qa.pt"), src.resolve("qa.pt"));
        Files.copy(Path.of("models/bundled/tokenizer.json"), src.resolve("tokenizer.json"));
        Path fromFile = Tracer.trace(config(Map.of("model_source", "mine/qa.pt", "huggingface_model_name", "my-qa")));
        assertTrue(Files.isRegularFile(fromFile.resolve("my-qa_bs1_seq128_pc1_cpu.pt")));
        assertTrue(new ObjectMapper().readTree(fromFile.resolve("metadata.json").toFile()).get("source").asText().endsWith("qa.pt"));
        Path fromFolder = Tracer.trace(config(Map.of("model_source", src.toString(), "processor", "gpu")));
        assertTrue(Files.isRegularFile(fromFolder.resolve("tiny-bert-qa_bs1_seq128_pc1_gpu.pt")));
    }

    @Test
    void badSourcesAreOneLineErrorsNamingThePath() throws Exception {
        assertEquals("model_source: no such file or folder: /no/such.pt",
                error(CliError.BAD_INPUT, () -> Tracer.trace(config(Map.of("model_source", "/no/such.pt")))).getMessage());
        Path garbage = dir.resolve("garbage.pt");
        Files.writeString(garbage, "this is not torchscript");
        Files.copy(Path.of("models/bundled/tokenizer.json"), dir.resolve("tokenizer.json"));
        assertEquals(garbage + " is not a TorchScript file (not a zip archive)",
                error(CliError.BAD_INPUT, () -> Tracer.trace(config(Map.of("model_source", garbage.toString())))).getMessage());
        Path lonely = Files.createDirectories(dir.resolve("lonely"));
        Files.copy(Path.of("models/bundled/tiny-bert-qa.pt"), lonely.resolve("a.pt"));
        assertTrue(error(CliError.BAD_INPUT, () -> Tracer.trace(config(Map.of("model_source", lonely.resolve("a.pt").toString()))))
                .getMessage().startsWith("model_source: no tokenizer.json next to "));
        Files.copy(Path.of("models/bundled/tiny-bert-qa.pt"), lonely.resolve("b.pt"));
        assertTrue(error(CliError.BAD_INPUT, () -> Tracer.trace(config(Map.of("model_source", lonely.toString()))))
                .getMessage().endsWith("must hold exactly one .pt file, it holds 2"));
        assertTrue(error(CliError.UNSUPPORTED, () -> Tracer.trace(config(Map.of("processor", "inf2"))))
                .getMessage().contains("needs a model compiled for Neuron"));
        assertFalse(Files.exists(dir.resolve("trace-tiny-bert-qa")), "a failed trace writes nothing");
    }

    @Test
    void traceRecordsWhetherTheModelTakesOtherLengthsAndServersTrustIt() throws Exception {
        Path bundled = Tracer.trace(config(Map.of("model_source", "bundled")));
        assertTrue(new ObjectMapper().readTree(bundled.resolve("metadata.json").toFile()).get("dynamic_length").asBoolean());
        // loaded as the server loads it: the recorded check is trusted, not run again
        Map<String, Object> meta = ModelSpec.metadata(bundled);
        assertEquals(LoadedModel.Lengths.ANY, LoadedModel.Lengths.of(meta));
        try (LoadedModel model = LoadedModel.load(ModelSpec.ofTrace(bundled, "", 1, 1, ""), 16, LoadedModel.Lengths.of(meta))) {
            assertTrue(model.variableLength());
            assertTrue(model.shapeNote().contains("metadata.json: dynamic_length true"), model.shapeNote());
        }
        assertEquals(LoadedModel.Lengths.PROBE, LoadedModel.Lengths.of(Map.of()), "a folder from an older trace is probed as it loads");
        assertEquals(LoadedModel.Lengths.TRACED, LoadedModel.Lengths.of(Map.of("dynamic_length", false)));

        // a Neuron model is compiled for its traced shape: recorded without loading it here
        Path src = Files.createDirectories(dir.resolve("neuron"));
        Files.copy(Path.of("models/bundled/tiny-bert-qa.pt"), src.resolve("qa.pt"));
        Files.copy(Path.of("models/bundled/tokenizer.json"), src.resolve("tokenizer.json"));
        Path inf2 = Tracer.trace(config(Map.of("model_source", "neuron/qa.pt", "processor", "inf2")));
        assertFalse(new ObjectMapper().readTree(inf2.resolve("metadata.json").toFile()).get("dynamic_length").asBoolean(true));
    }

    @Test
    void aModelWhoseLogitsChangeWithThePaddedLengthIsRecordedAsFixedLength() throws Exception {
        support.PythonTorch.ensure();
        // the bundled model with its logits scaled by the padded length: same best token, other logits
        Path src = Files.createDirectories(dir.resolve("fixed"));
        Path script = Files.writeString(dir.resolve("fixed.py"), String.join("\n",
                "import sys, torch",
                "from typing import Tuple",
                "class Scaled(torch.nn.Module):",
                "    def __init__(self, inner):",
                "        super().__init__()",
                "        self.inner = inner",
                "    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:",
                "        out = self.inner(input_ids, attention_mask)",
                "        k = input_ids.shape[1] / 128.0",
                "        return out[0] * k, out[1] * k",
                "torch.jit.script(Scaled(torch.jit.load(sys.argv[1]))).save(sys.argv[2])", ""));
        support.DockerEngine.Out made = support.DockerEngine.run(300, support.PythonTorch.python(), script.toString(),
                Path.of("models/bundled/tiny-bert-qa.pt").toAbsolutePath().toString(), src.resolve("qa.pt").toString());
        assertTrue(made.ok(), made.output());
        Files.copy(Path.of("models/bundled/tokenizer.json"), src.resolve("tokenizer.json"));
        Path out = Tracer.trace(config(Map.of("model_source", "fixed", "test", "False")));
        Map<String, Object> meta = ModelSpec.metadata(out);
        assertEquals(false, meta.get("dynamic_length"));
        try (LoadedModel model = LoadedModel.load(ModelSpec.ofTrace(out, "", 1, 1, ""), 16, LoadedModel.Lengths.of(meta))) {
            assertFalse(model.variableLength());
            assertTrue(model.shapeNote().contains("metadata.json: dynamic_length false"), model.shapeNote());
        }
    }

    @Test
    void hubSourceOfflineFailsWithOneClearLine() throws Exception {
        CliError e = error(CliError.FAILED, () -> Tracer.trace(config(Map.of("model_source", "hf:deepset/minilm-uncased-squad2"))));
        assertTrue(e.getMessage().startsWith("model_source=hf:deepset/minilm-uncased-squad2 needs the Hugging Face hub or DJL's model zoo, which cannot be reached"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("use model_source=bundled or a local .pt file"), e.getMessage());
    }
}
