package lib.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lib.cli.CliError;
import lib.cli.Console;
import lib.config.Config;
import lib.config.ConfigKeys;
import lib.config.Names;
import lib.config.Precision;
import lib.model.ModelSpec;
import lib.model.QaCodec;
import lib.model.QaModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * precision: names, refusals, and the bundled model traced to bf16 and int8 through PyTorch in Python
 * (models/convert.py), then loaded through DJL like a server loads it, and checked against fp32.
 */
class PrecisionTest {
    @TempDir
    Path dir;

    Config config(Map<String, String> overrides) {
        return support.ProjectConfig.load(dir, Map.of(), overrides);
    }

    @Test
    void theFileNameRecordsAReducedPrecisionOnly() {
        assertEquals("tiny-bert-qa_bs1_seq128_pc1_cpu.pt", new Names(config(Map.of())).tracedModelFile());
        assertEquals("tiny-bert-qa_bs1_seq128_pc1_cpu_int8.pt", new Names(config(Map.of("precision", "int8"))).tracedModelFile());
        assertEquals("tiny-bert-qa_bs1_seq128_pc1_graviton_bf16.pt",
                new Names(config(Map.of("precision", "bf16", "processor", "graviton"))).tracedModelFile());
    }

    @Test
    void anUnknownPrecisionIsBadInput() {
        String problem = ConfigKeys.find("precision").orElseThrow().problem("fp8");
        assertEquals("precision=fp8 is not one of fp32, bf16, int8, fp16", problem);
        assertEquals("fp32", ConfigKeys.find("precision").orElseThrow().defaultValue());
        assertTrue(ConfigKeys.find("precision_check").orElseThrow().problem("maybe").contains("fail, warn"));
    }

    @Test
    void neuronAndGpuRefuseWhatTheyCannotRun() {
        for (String p : List.of("inf1", "inf2")) {
            CliError e = TracerTest.error(CliError.UNSUPPORTED, () -> Precision.check("int8", p));
            assertTrue(e.getMessage().contains("precision=int8 is not available for processor=" + p), e.getMessage());
        }
        TracerTest.error(CliError.UNSUPPORTED, () -> Precision.check("bf16", "inf2"));
        TracerTest.error(CliError.UNSUPPORTED, () -> Precision.check("int8", "gpu"));
        Precision.check("bf16", "gpu");
        Precision.check("fp16", "gpu");
        for (String p : List.of("cpu", "graviton")) {
            assertTrue(TracerTest.error(CliError.UNSUPPORTED, () -> Precision.check("fp16", p)).getMessage()
                    .startsWith("precision=fp16 runs on GPUs"));
        }
        Precision.check("int8", "graviton");
        Precision.check("fp32", "inf1");
        // refused before anything is resolved or written
        TracerTest.error(CliError.UNSUPPORTED, () -> Tracer.trace(config(Map.of("precision", "bf16", "processor", "inf1"))));
        assertFalse(Files.exists(dir.resolve("trace-tiny-bert-qa")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"int8", "bf16"})
    void theBundledModelTracedInReducedPrecisionAnswersLikeFp32(String precision) throws Exception {
        support.PythonTorch.ensure();
        String out = captured(() -> Tracer.trace(config(Map.of("precision", precision, "test", "True"))));
        Path trace = dir.resolve("trace-tiny-bert-qa");
        String file = "tiny-bert-qa_bs1_seq128_pc1_cpu_" + precision + ".pt";
        JsonNode meta = new ObjectMapper().readTree(trace.resolve("metadata.json").toFile());
        assertEquals(precision, meta.get("precision").asText());
        assertEquals(file, meta.get("file").asText());
        assertEquals("int64", meta.get("inputs").get(0).get("dtype").asText());
        assertEquals("float32", meta.get("outputs").get(0).get("dtype").asText());
        assertTrue(meta.get("source").asText().contains(precision + " by models/convert.py"), meta.get("source").asText());
        assertNotEquals(Tracer.sha256(Path.of("models/bundled/tiny-bert-qa.pt")), meta.get("sha256").asText());
        int total = PrecisionCheck.questions(Path.of(PrecisionCheck.QUESTIONS)).size();
        assertTrue(out.contains(precision + " answer agreement with fp32: 100.0% (" + total + " of " + total
                + "), largest logit difference "), out);
        java.util.regex.Matcher generated = java.util.regex.Pattern.compile(precision + " answer agreement with fp32 on "
                + PrecisionCheck.GENERATED + " generated questions: [0-9.]+% \\(([0-9]+) of " + PrecisionCheck.GENERATED + "\\)").matcher(out);
        assertTrue(generated.find(), out);
        assertTrue(Integer.parseInt(generated.group(1)) >= 0.99 * PrecisionCheck.GENERATED, generated.group());

        // loaded the way a server loads a trace folder
        try (QaModel model = QaModel.load(ModelSpec.ofTrace(trace, "", 1, 1, ""), 1)) {
            assertEquals(trace.resolve(file), model.spec().modelFile());
            assertEquals("i think i can", model.answer("What does the little engine say", QaCodec.SAMPLE_CONTEXT, true).text());
            assertEquals("i think i can", model.answer(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT, true).text());
            assertEquals("42", model.answer("how many chapters the book has?",
                    "The number 42 is, in The Hitchhiker's Guide to the Galaxy by Douglas Adams.", true).text());
            float[][][] logits = model.logits(model.codec().encode(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT));
            assertTrue(logits[0][0][127] < -1000, "padding logits stay very low: " + logits[0][0][127]);
        }
    }

    /**
     * int8 stores every embedding table in 8 bits (uint8 rows, a float32 scale and offset per row)
     * and bf16 in bfloat16: read from the traced files with PyTorch, and from the file sizes.
     */
    @Test
    void int8StoresTheEmbeddingTablesInEightBitsAndBf16InBfloat16() throws Exception {
        support.PythonTorch.ensure();
        Path script = Files.writeString(dir.resolve("tables.py"), String.join("\n",
                "import sys, torch",
                "m = torch.jit.load(sys.argv[1])",
                "def value(v):",
                "    n = v.node()",
                "    if n.kind() == 'prim::Constant':",
                "        return n.output().toIValue()",
                "    if n.kind() == 'prim::GetAttr':",
                "        return getattr(m if n.input().node().kind() == 'prim::Param' else value(n.input()), n.s('name'))",
                "    raise SystemExit('table from ' + n.kind())",
                "for n in m.inlined_graph.nodes():",
                "    if n.kind() == 'aten::embedding':",
                "        t = value(n.inputsAt(0))",
                "        print('table', str(t.dtype).replace('torch.', ''), 'x'.join(map(str, t.shape)))", ""));
        JsonNode arch = new ObjectMapper().readTree(Path.of("models/bundled/model.json").toFile()).get("architecture");
        int vocab = arch.get("vocab_size").asInt();
        int hidden = arch.get("hidden_size").asInt();
        long rows = vocab + arch.get("max_position_embeddings").asInt() + arch.get("type_vocab_size").asInt();
        long fp32 = Files.size(Path.of("models/bundled/tiny-bert-qa.pt"));
        for (String precision : List.of("int8", "bf16")) {
            captured(() -> Tracer.trace(config(Map.of("precision", precision, "test", "False"))));
            Path file = dir.resolve("trace-tiny-bert-qa/tiny-bert-qa_bs1_seq128_pc1_cpu_" + precision + ".pt");
            support.DockerEngine.Out tables = support.DockerEngine.run(300, support.PythonTorch.python(), script.toString(), file.toString());
            assertTrue(tables.ok(), tables.output());
            String kind = precision.equals("int8") ? "uint8" : "bfloat16";
            assertTrue(tables.output().contains("table " + kind + " " + vocab + "x" + hidden), tables.output());
            assertFalse(tables.output().contains("table float32 " + vocab + "x" + hidden), tables.output());
            if (precision.equals("int8")) {
                // three of every four bytes of the tables saved, less a float32 scale and offset per row
                long smallest = fp32 - 3 * rows * hidden + 8 * rows;
                assertTrue(Files.size(file) < smallest, Files.size(file) + " bytes, expected under " + smallest);
                // and a quarter of the Linear layers' weights on top, so under a third of fp32 here
                assertTrue(Files.size(file) < fp32 / 3, Files.size(file) + " of " + fp32);
            }
        }
    }

    /**
     * processor=gpu on this machine without a GPU: what can be checked here. bf16 converts and runs on
     * the CPU; fp16 converts without running in Python (Debian's torch 1.13 has no float16 LayerNorm on
     * the CPU), and DJL's libtorch checks its lengths on the CPU where it can. The GPU itself is needed
     * for test=True (the trace check and the accuracy check run on the processor).
     */
    @ParameterizedTest
    @ValueSource(strings = {"bf16", "fp16"})
    void theGpuPrecisionsConvertWithoutAGpu(String precision) throws Exception {
        support.PythonTorch.ensure();
        String out = captured(() -> Tracer.trace(config(Map.of("precision", precision, "processor", "gpu", "test", "False"))));
        Path trace = dir.resolve("trace-tiny-bert-qa");
        String file = "tiny-bert-qa_bs1_seq128_pc1_gpu_" + precision + ".pt";
        assertTrue(Files.isRegularFile(trace.resolve(file)), out);
        JsonNode meta = new ObjectMapper().readTree(trace.resolve("metadata.json").toFile());
        assertEquals(precision, meta.get("precision").asText());
        if (precision.equals("bf16")) {
            assertTrue(meta.get("dynamic_length").asBoolean(), "checked on this CPU: " + out);
        } else if (!meta.has("dynamic_length")) {
            assertTrue(out.contains("not checked on this CPU"), out);
        }
    }

    @Test
    void theTracersReducedPrecisionRunsOnTheCpu() throws Exception {
        support.PythonTorch.ensure();
        // models/tracer.py's conversion of a Hugging Face model (a stand-in returning a tuple as they do), traced on the CPU
        Path script = Files.writeString(dir.resolve("reduce.py"), String.join("\n",
                "import importlib.util, sys, torch",
                "spec = importlib.util.spec_from_file_location('tracer', sys.argv[1])",
                "tracer = importlib.util.module_from_spec(spec); spec.loader.exec_module(tracer)",
                "class Qa(torch.nn.Module):",
                "    def __init__(self):",
                "        super().__init__()",
                "        self.emb = torch.nn.Embedding(50, 16); self.norm = torch.nn.LayerNorm(16); self.qa = torch.nn.Linear(16, 2)",
                "    def forward(self, input_ids, attention_mask):",
                "        s, e = self.qa(self.norm(self.emb(input_ids))).split(1, dim=-1)",
                "        return s.squeeze(-1), e.squeeze(-1), attention_mask",
                "ids = torch.randint(0, 50, (2, 7)); mask = torch.ones_like(ids)",
                "for precision in ('bf16', 'int8'):",
                "    model = tracer.reduce_precision(torch, Qa().eval(), precision, 'gpu' if precision == 'bf16' else 'cpu')",
                "    traced = torch.jit.trace(model, (ids, mask))",
                "    if precision == 'int8':",
                "        traced = tracer.small_embeddings(torch, traced)",
                "    emb = traced.emb if precision == 'int8' else traced.inner.emb",
                "    table = emb.weight_codes if precision == 'int8' else emb.weight",
                "    assert table.dtype == (torch.uint8 if precision == 'int8' else torch.bfloat16), (precision, table.dtype)",
                "    out = traced(ids, mask)",
                "    assert out[0].dtype == torch.float32 and out[0].shape == (2, 7), (precision, out[0].dtype)",
                "    assert torch.isfinite(out[0]).all(), precision",
                "    print(precision, 'ok')", ""));
        support.DockerEngine.Out ran = support.DockerEngine.run(300, support.PythonTorch.python(), script.toString(),
                Path.of("models/tracer.py").toAbsolutePath().toString());
        assertTrue(ran.ok() && ran.output().contains("bf16 ok") && ran.output().contains("int8 ok"), ran.output());
    }

    @Test
    void logitsInBfloat16AreReadAsFloat32() throws Exception {
        support.PythonTorch.ensure();
        // the bundled model in bf16 without convert.py's float32 cast: its logits come out bfloat16
        Path bf16 = dir.resolve("raw-bf16.pt");
        Path script = Files.writeString(dir.resolve("bf16.py"), String.join("\n",
                "import sys, torch",
                "m = torch.jit.load(sys.argv[1]).to(torch.bfloat16)",
                "out = m(torch.tensor([[2, 5, 3]]), torch.tensor([[1, 1, 1]]))",
                "assert out[0].dtype == torch.bfloat16, out[0].dtype",
                "m.save(sys.argv[2])", ""));
        support.DockerEngine.Out made = support.DockerEngine.run(300, support.PythonTorch.python(), script.toString(),
                Path.of("models/bundled/tiny-bert-qa.pt").toAbsolutePath().toString(), bf16.toString());
        assertTrue(made.ok(), made.output());
        Path bundled = Path.of("models/bundled").toAbsolutePath();
        try (QaModel model = QaModel.load(new ModelSpec(bf16, bundled.resolve("tokenizer.json"), "cpu", 128, 1, 1, 1, null), 1)) {
            assertEquals("i think i can", model.answer(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT, true).text());
            float[][][] logits = model.logits(model.codec().encode(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT));
            assertEquals(128, logits[0][0].length);
            assertTrue(logits[1][0][127] < -1000, "padding: " + logits[1][0][127]);
        }
    }

    @Test
    void belowTheThresholdTheCheckFailsInOneLineOrWarns() throws Exception {
        support.PythonTorch.ensure();
        Map<String, String> strict = Map.of("precision", "int8", "precision_min_agreement", "100.5");
        CliError e = TracerTest.error(CliError.FAILED, () -> Tracer.trace(config(strict)));
        assertEquals("int8 agrees with fp32 on 100.0% of models/questions.json, below precision_min_agreement=100.5 "
                + "(precision_check=warn keeps the model anyway)", e.getMessage());
        assertFalse(Files.exists(dir.resolve("trace-tiny-bert-qa")), "a model that fails the check is not written");

        String out = captured(() -> Tracer.trace(config(Map.of("precision", "int8", "precision_min_agreement", "100.5",
                "precision_check", "warn"))));
        assertTrue(out.contains("below precision_min_agreement=100.5"), out);
        assertTrue(Files.isRegularFile(dir.resolve("trace-tiny-bert-qa/tiny-bert-qa_bs1_seq128_pc1_cpu_int8.pt")));

        Files.delete(dir.resolve("trace-tiny-bert-qa/metadata.json"));
        captured(() -> Tracer.trace(config(Map.of("precision", "int8", "test", "False", "precision_min_agreement", "100.5"))));
        assertTrue(Files.isRegularFile(dir.resolve("trace-tiny-bert-qa/metadata.json")), "test=False: no check");
    }

    @Test
    void theComparisonCountsDisagreementsAndLogitDifferences() throws Exception {
        Path bundled = Path.of("models/bundled").toAbsolutePath();
        ModelSpec spec = new ModelSpec(bundled.resolve("tiny-bert-qa.pt"), bundled.resolve("tokenizer.json"), "cpu", 128, 1, 1, 1, null);
        List<PrecisionCheck.Question> questions = PrecisionCheck.questions(Path.of(PrecisionCheck.QUESTIONS));
        assertTrue(questions.size() >= 10, "a question set worth the name: " + questions.size());
        try (QaModel a = QaModel.load(spec, 1); QaModel same = QaModel.load(spec, 1)) {
            PrecisionCheck.Result r = PrecisionCheck.compare(a, same, questions);
            assertEquals(questions.size(), r.agreed());
            assertEquals(0.0, r.maxLogitDifference());
            assertEquals("100.0%", PrecisionCheck.percent(r.agreementPercent()));
        }
        // the bundled model with noise on its weights stands in for a conversion gone wrong
        support.PythonTorch.ensure();
        Path noisy = dir.resolve("noisy.pt");
        Path script = Files.writeString(dir.resolve("noise.py"), String.join("\n",
                "import sys, torch",
                "torch.manual_seed(0)",
                "m = torch.jit.load(sys.argv[1])",
                "with torch.no_grad():",
                "    for p in m.parameters():",
                "        p.add_(torch.randn_like(p) * 0.5)",
                "m.save(sys.argv[2])", ""));
        support.DockerEngine.Out made = support.DockerEngine.run(300, support.PythonTorch.python(), script.toString(),
                spec.modelFile().toString(), noisy.toString());
        assertTrue(made.ok(), made.output());
        ModelSpec noisySpec = new ModelSpec(noisy, spec.tokenizer(), "cpu", 128, 1, 1, 1, null);
        try (QaModel a = QaModel.load(spec, 1); QaModel b = QaModel.load(noisySpec, 1)) {
            PrecisionCheck.Result r = PrecisionCheck.compare(a, b, questions);
            assertTrue(r.agreed() < r.total(), r.toString());
            assertEquals(r.total() - r.agreed(), r.differing().size());
            assertTrue(r.maxLogitDifference() > 0.1, r.toString());
        }
    }

    static String captured(Runnable r) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        Console.redirect(both, both);
        try {
            r.run();
        } finally {
            Console.redirect(System.out, System.err);
        }
        String text = buffer.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        return text;
    }
}
