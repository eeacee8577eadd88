package lib.trace;

//DEPS ai.djl.huggingface:tokenizers
//SOURCES ../config/Artifacts.java ../cli/CliError.java ../config/Config.java ../cli/Console.java ../model/LoadedModel.java ../model/ModelException.java ../model/ModelSpec.java ../config/Names.java ../image/Pack.java ../config/Precision.java PrecisionCheck.java ../cli/Shell.java ../model/TorchEngine.java

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import lib.cli.CliError;
import lib.cli.Console;
import lib.cli.Shell;
import lib.config.Artifacts;
import lib.config.Config;
import lib.config.Names;
import lib.config.Precision;
import lib.image.Pack;
import lib.model.LoadedModel;
import lib.model.ModelException;
import lib.model.ModelSpec;
import lib.model.TorchEngine;

/**
 * trace: turns the model named by model_source into `trace-<model>/` for the configured processor:
 * the TorchScript file named like the original, tokenizer.json and metadata.json.
 * Sources: `bundled` (models/bundled, offline), a local .pt file or folder, or `hf[:<id>]` (DJL's
 * Hugging Face model zoo when it has the model pre-traced, otherwise the Python tracer in the base
 * image, as the original traced).
 */
public final class Tracer {
    public static final String TOKENIZER = "tokenizer.json";
    public static final String BUNDLED_DIR = "models/bundled";
    public static final String BUNDLED_FILE = "tiny-bert-qa.pt";
    /** The fp32 trace that models/tracer.py writes beside a bf16 or int8 one, for the accuracy check. */
    static final String FP32_REFERENCE = "fp32-reference.pt";

    private Tracer() {
    }

    /**
     * A TorchScript file and its tokenizer, and where they came from; {@code fp32Model} is the fp32
     * model it was converted from (null when it is the fp32 model itself).
     */
    public record Source(Path modelFile, Path tokenizer, String description, Path fp32Model) {
        public Source(Path modelFile, Path tokenizer, String description) {
            this(modelFile, tokenizer, description, null);
        }
    }

    /**
     * Resolves model_source, brings it to the configured precision and writes the trace folder;
     * returns it. With test=True a bf16 or int8 model is first compared with its fp32 original
     * ({@link PrecisionCheck}), and a model that fails the check is not written.
     */
    public static Path trace(Config config) {
        Names names = new Names(config);
        String source = config.get("model_source").strip();
        String precision = config.get("precision");
        Precision.check(precision, config.processor());
        Path work = names.traceDir().resolveSibling(names.traceDir().getFileName() + ".tmp");
        try {
            Pack.delete(work);
            Files.createDirectories(work);
            Source s = resolve(config, source, work);
            if (!precision.equals(Precision.FP32) && s.fp32Model() == null) {
                Path converted = work.resolve("converted-" + names.tracedModelFile());
                Precision.convert(config, s.modelFile(), converted, precision);
                s = new Source(converted, s.tokenizer(), s.description() + ", " + precision + " by " + Precision.CONVERTER,
                        s.modelFile());
            }
            if (s.fp32Model() != null && config.getBool("test")) {
                PrecisionCheck.run(config, s.fp32Model(), s.modelFile(), s.tokenizer());
            }
            return write(config, s, work);
        } catch (IOException e) {
            throw CliError.failed("cannot write " + names.traceDir() + ": " + e.getMessage());
        } finally {
            try {
                Pack.delete(work);
            } catch (IOException ignored) {
                // best effort; the next trace starts by removing it again
            }
        }
    }

    static Source resolve(Config config, String source, Path work) {
        String processor = config.processor();
        if (source.equals("bundled")) {
            if (processor.startsWith("inf")) {
                throw CliError.unsupported("the bundled model is plain TorchScript; processor=" + processor
                        + " needs a model compiled for Neuron: use model_source=hf on an Inferentia instance");
            }
            Path dir = Artifacts.sourceRoot().resolve(BUNDLED_DIR);
            return new Source(dir.resolve(BUNDLED_FILE), dir.resolve(TOKENIZER), "bundled (" + BUNDLED_DIR + ")");
        }
        if (source.equals("hf") || source.startsWith("hf:")) {
            String id = source.equals("hf") ? config.get("huggingface_model_name") : source.substring(3);
            if (id.isBlank()) {
                throw CliError.badInput("model_source=hf: needs a model id, e.g. hf:distilbert-base-cased-distilled-squad");
            }
            return fromHub(config, id, work);
        }
        return local(config.projectDir().resolve(source).normalize(), source);
    }

    /** A .pt file with tokenizer.json beside it, or a folder holding one .pt file and tokenizer.json. */
    static Source local(Path path, String given) {
        if (!Files.exists(path)) {
            throw CliError.badInput("model_source: no such file or folder: " + given);
        }
        Path model = path;
        if (Files.isDirectory(path)) {
            List<Path> pts;
            try (Stream<Path> files = Files.list(path)) {
                pts = files.filter(f -> f.toString().endsWith(".pt")).sorted().toList();
            } catch (IOException e) {
                throw CliError.badInput("model_source: cannot read folder " + given + ": " + e.getMessage());
            }
            if (pts.size() != 1) {
                throw CliError.badInput("model_source: folder " + given + " must hold exactly one .pt file, it holds " + pts.size());
            }
            model = pts.get(0);
        } else if (!path.toString().endsWith(".pt")) {
            throw CliError.badInput("model_source: " + given + " is not a .pt file or a folder");
        }
        Path tokenizer = model.resolveSibling(TOKENIZER);
        if (!Files.isRegularFile(tokenizer)) {
            throw CliError.badInput("model_source: no " + TOKENIZER + " next to " + model);
        }
        return new Source(model, tokenizer, model.toString());
    }

    /**
     * hf:<id>: a model of DJL's Hugging Face model zoo is downloaded pre-traced; any other model is
     * traced by models/tracer.py in the base image through the container CLI (needs the base image,
     * internet and, for gpu/inf, the processor).
     */
    static Source fromHub(Config config, String id, Path work) {
        Console.step("Looking for %s in DJL's Hugging Face model zoo ...", id);
        System.setProperty("ai.djl.offline", "false");
        TorchEngine.quietWarnings();
        Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optModelUrls("djl://ai.djl.huggingface.pytorch/" + id).optEngine("PyTorch")
                .optTranslator(new NoopTranslator()).build();
        try (ZooModel<NDList, NDList> model = criteria.loadModel()) {
            Path dir = model.getModelPath();
            Source local = local(dir, dir.toString());
            return new Source(local.modelFile(), local.tokenizer(), "hf:" + id + " (DJL model zoo)");
        } catch (ai.djl.repository.zoo.ModelNotFoundException e) {
            Console.info("not in the zoo; tracing it with models/tracer.py in %s", new Names(config).baseImage());
            return traceInContainer(config, id, work);
        } catch (IOException | ai.djl.MalformedModelException | RuntimeException e) {
            throw CliError.failed("model_source=hf:" + id + " needs the Hugging Face hub or DJL's model zoo, which cannot be reached ("
                    + rootMessage(e) + "); use model_source=bundled or a local .pt file");
        } finally {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    private static Source traceInContainer(Config config, String id, Path work) {
        Names names = new Names(config);
        Path script = Artifacts.sourceRoot().resolve("models/tracer.py");
        List<String> argv = new ArrayList<>(List.of(config.get("container_cli"), "run", "--rm"));
        String opts = config.get("trace_opts_" + config.processor()).strip();
        if (!opts.isEmpty()) {
            argv.addAll(List.of(opts.split("\\s+")));
        }
        // convert.py too: the tracer stores int8 models' embeddings with its embeddings_to_uint8
        argv.addAll(List.of("-v", work.toAbsolutePath() + ":/trace", "-v", script + ":/app/tracer.py:ro",
                "-v", script.resolveSibling("convert.py") + ":/app/convert.py:ro", names.baseImage(), "python3", "/app/tracer.py", "--model", id, "--processor", config.processor(),
                "--sequence-length", config.get("sequence_length"), "--batch-size", config.get("batch_size"),
                "--pipeline-cores", config.get("pipeline_cores"),
                "--tokenizer-class", config.get("huggingface_tokenizer_class"),
                "--model-class", config.get("huggingface_model_class"), "--out", "/trace", "--file", names.tracedModelFile(),
                "--precision", config.get("precision")));
        int rc = new Shell(config.verbose()).run(argv);
        if (rc != 0) {
            throw CliError.failed("tracing " + id + " in " + names.baseImage() + " failed (exit code " + rc
                    + "); it needs the base image (./build.java) and internet access");
        }
        String precision = config.get("precision");
        if (precision.equals(Precision.FP32)) {
            return new Source(work.resolve(names.tracedModelFile()), work.resolve(TOKENIZER), "hf:" + id + " (traced by models/tracer.py)");
        }
        // the tracer converts the Hugging Face model before tracing, and keeps the fp32 trace for the accuracy check
        return new Source(work.resolve(names.tracedModelFile()), work.resolve(TOKENIZER),
                "hf:" + id + " (traced in " + precision + " by models/tracer.py)", work.resolve(FP32_REFERENCE));
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    /** Copies the source into the trace folder with its metadata, replacing the old folder at the end. */
    static Path write(Config config, Source source, Path work) throws IOException {
        Names names = new Names(config);
        checkTorchScript(source.modelFile());
        Path out = work.resolveSibling(work.getFileName() + ".out");
        Pack.delete(out);
        Files.createDirectories(out);
        Path model = out.resolve(names.tracedModelFile());
        Files.copy(source.modelFile(), model);
        Files.copy(source.tokenizer(), out.resolve(TOKENIZER));
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("model", names.modelName());
        meta.put("processor", config.processor());
        meta.put("sequence_length", config.getInt("sequence_length"));
        meta.put("batch_size", config.getInt("batch_size"));
        meta.put("pipeline_cores", config.getInt("pipeline_cores"));
        meta.put("precision", config.get("precision"));
        Boolean dynamic = checkLengths(config, source);
        if (dynamic != null) {
            meta.put(LoadedModel.DYNAMIC_LENGTH, dynamic);
        }
        String shape = "[batch_size, sequence_length]";
        meta.put("inputs", List.of(Map.of("name", "input_ids", "dtype", "int64", "shape", shape),
                Map.of("name", "attention_mask", "dtype", "int64", "shape", shape)));
        meta.put("outputs", List.of(Map.of("name", "start_logits", "dtype", "float32", "shape", shape),
                Map.of("name", "end_logits", "dtype", "float32", "shape", shape)));
        meta.put("source", source.description());
        meta.put("file", names.tracedModelFile());
        meta.put("tokenizer", TOKENIZER);
        meta.put("sha256", sha256(model));
        Files.writeString(out.resolve(Pack.METADATA), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(meta) + "\n");
        Path dir = names.traceDir();
        Pack.delete(dir);
        Files.move(out, dir, StandardCopyOption.ATOMIC_MOVE);
        return dir;
    }

    /**
     * Whether the model takes other lengths than the traced one (dynamic_length in metadata.json;
     * servers then pad batches to their longest row): the sample pair must give the same logits at
     * its own length as padded to sequence_length. Checked on this machine's CPU (the arithmetic is
     * the model's, whatever the processor); Neuron models are compiled for one shape. Null, so that
     * the server checks when it loads, for a gpu model that does not run on this CPU (a trace made on
     * a GPU can hold the device).
     */
    static Boolean checkLengths(Config config, Source source) {
        String processor = config.processor();
        if (processor.startsWith("inf")) {
            return false;
        }
        Console.step("Checking which sequence lengths the model takes ...");
        ModelSpec spec = new ModelSpec(source.modelFile(), source.tokenizer(), "cpu", config.getInt("sequence_length"),
                config.getInt("batch_size"), 1, 1, null);
        try {
            boolean any = LoadedModel.checkLengths(spec);
            Console.info("%s", any ? "any length up to " + spec.sequenceLength() + " (dynamic_length true: batches padded to their longest row)"
                    : "only the traced length " + spec.sequenceLength() + " (dynamic_length false)");
            return any;
        } catch (ModelException e) {
            if (processor.equals("gpu")) {
                Console.info("not checked on this CPU (%s); the server checks when it loads", e.getMessage());
                return null;
            }
            throw CliError.failed("the traced model does not load: " + e.getMessage(), e);
        }
    }

    /** TorchScript files are zip archives; anything else is refused before it reaches a server. */
    static void checkTorchScript(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw CliError.badInput("model file not found: " + file);
        }
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            if (in.readNBytes(magic, 0, 4) < 4 || magic[0] != 'P' || magic[1] != 'K' || magic[2] != 3 || magic[3] != 4) {
                throw CliError.badInput(file + " is not a TorchScript file (not a zip archive)");
            }
        }
    }

    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
