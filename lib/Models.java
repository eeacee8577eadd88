package lib;

//DEPS ai.djl:api:0.36.0
//DEPS ai.djl.pytorch:pytorch-engine:0.36.0
//DEPS ai.djl.pytorch:pytorch-jni:2.7.1-0.36.0
//DEPS ai.djl.huggingface:tokenizers:0.36.0

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.Batchifier;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Loads a TorchScript question-answering model (a traced BertForQuestionAnswering, or the bundled
 * tiny-bert-qa) with DJL's PyTorch engine and answers questions with it.
 *
 * <p>The native PyTorch library comes from {@code ai.djl.pytorch:pytorch-native-cpu} (or a CUDA
 * flavour) on the caller's classpath; DJL extracts it to ~/.djl.ai on first use. Nothing is
 * downloaded: {@code ai.djl.offline} is set to true unless the caller already set it.
 *
 * <p>Engine settings are process-wide and read by DJL when the engine starts, so the first model
 * loaded in a JVM decides them: {@code ai.djl.pytorch.num_threads} (intra-op threads),
 * {@code ai.djl.pytorch.num_interop_threads} (inter-op threads) and, for inf1/inf2,
 * {@code PYTORCH_EXTRA_LIBRARY_PATH} (the Neuron custom-op library, loaded right after libtorch).
 * A later model with other intra-op threads resets them; inter-op threads cannot change after the
 * first forward (PyTorch's rule).
 */
public final class Models {
    public static final String ENGINE = "PyTorch";
    static final String OFFLINE = "ai.djl.offline";
    static final String INTRA_OP_THREADS = "ai.djl.pytorch.num_threads";
    static final String INTER_OP_THREADS = "ai.djl.pytorch.num_interop_threads";
    static final String EXTRA_LIBRARY_PATH = "PYTORCH_EXTRA_LIBRARY_PATH";
    static final List<String> PROCESSORS = List.of("cpu", "gpu", "graviton", "inf1", "inf2");

    private Models() {
    }

    /**
     * What to load and how to run it.
     *
     * @param modelFile the TorchScript .pt file
     * @param tokenizer the Hugging Face tokenizer.json
     * @param processor cpu, gpu, graviton, inf1 or inf2: cpu/graviton run on the CPU, gpu on CUDA
     *     device 0, inf1/inf2 on the CPU device with the Neuron library loaded into the engine
     * @param sequenceLength tokens per input row (the model's traced length for inf1/inf2)
     * @param batchSize rows per forward: the encoded pair is repeated batchSize times, as the original
     *     did; the answer comes from the first row
     * @param intraOpThreads PyTorch intra-op threads; 0 or less leaves PyTorch's default
     * @param interOpThreads PyTorch inter-op threads; 0 or less leaves PyTorch's default
     * @param neuronLibrary the Neuron custom-op library (libtorchneuron.so) for inf1/inf2; may be null
     *     when PYTORCH_EXTRA_LIBRARY_PATH is already set in the environment
     */
    public record Spec(Path modelFile, Path tokenizer, String processor, int sequenceLength, int batchSize,
                       int intraOpThreads, int interOpThreads, Path neuronLibrary) {
        public Spec {
            if (modelFile == null || tokenizer == null || processor == null) {
                throw new IllegalArgumentException("model file, tokenizer and processor are required");
            }
            processor = processor.strip().toLowerCase(Locale.ROOT);
            if (!PROCESSORS.contains(processor)) {
                throw new IllegalArgumentException("processor must be one of " + PROCESSORS + ", not '" + processor + "'");
            }
            if (sequenceLength < 3 || sequenceLength > 4096) {
                throw new IllegalArgumentException("sequence length must be within 3..4096, not " + sequenceLength);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be at least 1, not " + batchSize);
            }
        }

        /** A CPU spec with PyTorch's default threads, batch 1. */
        public static Spec cpu(Path modelFile, Path tokenizer, int sequenceLength) {
            return new Spec(modelFile, tokenizer, "cpu", sequenceLength, 1, 0, 0, null);
        }

        public boolean neuron() {
            return processor.startsWith("inf");
        }
    }

    /**
     * An answer.
     *
     * @param text the decoded answer, or with post-processing off the raw start logits as text
     *     ({@link QaCodec#formatLogits})
     * @param startIndex the answer's first token position; -1 with post-processing off
     * @param endIndex the position after the answer's last token (exclusive); -1 with post-processing off
     * @param truncated whether the question and context did not fit in the sequence length
     * @param forwardNanos time of the forward alone (inputs in, logits out), not waiting for a predictor
     */
    public record Answer(String text, int startIndex, int endIndex, boolean truncated, long forwardNanos) {
    }

    /** A model or tokenizer that cannot be loaded or run; the message names the file. */
    public static final class ModelException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ModelException(String message, Throwable cause) {
            super(message, cause);
        }

        public ModelException(String message) {
            super(message);
        }
    }

    /** A trace folder's metadata.json; a folder without one is refused with the reason. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> metadata(Path traceDir) {
        Path file = traceDir.resolve("metadata.json");
        if (!Files.isRegularFile(file)) {
            throw CliError.badInput(traceDir + " has no metadata.json: it must be a folder written by ./trace.java");
        }
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readValue(file.toFile(), Map.class);
        } catch (IOException e) {
            throw CliError.badInput(file + " is not valid JSON: " + e.getMessage());
        }
    }

    /**
     * The spec of a trace folder (see {@link Tracer}): its files, sequence length and batch size from
     * metadata.json, for `processor` (empty: the one it was traced for). `neuron` is the Neuron
     * library or the folder that holds libtorchneuron.so; empty or null when not needed.
     */
    public static Spec specOf(Path traceDir, String processor, int intraOpThreads, int interOpThreads, String neuron) {
        Map<String, Object> meta = metadata(traceDir);
        String p = processor == null || processor.isEmpty() ? String.valueOf(meta.getOrDefault("processor", "cpu")) : processor;
        Path library = null;
        if (p.startsWith("inf") && neuron != null && !neuron.isBlank()) {
            library = Path.of(neuron);
            library = Files.isDirectory(library) ? library.resolve("libtorchneuron.so") : library;
        }
        return new Spec(traceDir.resolve(String.valueOf(meta.get("file"))),
                traceDir.resolve(String.valueOf(meta.getOrDefault("tokenizer", "tokenizer.json"))), p,
                ((Number) meta.getOrDefault("sequence_length", 128)).intValue(),
                ((Number) meta.getOrDefault("batch_size", 1)).intValue(), intraOpThreads, interOpThreads, library);
    }

    /** DJL warns about a CUDA driver on every machine without a GPU, and about plain .pt paths: both expected here. */
    public static void quietEngineWarnings() {
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error");
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl.repository.SimpleRepository", "error");
    }

    /** Loads the model with one predictor per available processor. */
    public static QaModel load(Spec spec) {
        return load(spec, Math.max(1, java.lang.Runtime.getRuntime().availableProcessors()));
    }

    /**
     * Loads the model and its tokenizer; {@code predictors} predictors are shared by the threads
     * calling {@link QaModel#answer} (a DJL predictor serves one thread at a time).
     */
    public static QaModel load(Spec spec, int predictors) {
        if (predictors < 1) {
            throw new IllegalArgumentException("predictors must be at least 1, not " + predictors);
        }
        Path file = spec.modelFile().toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            throw new ModelException("model file not found: " + file);
        }
        if (!Files.isReadable(file)) {
            throw new ModelException("model file not readable: " + file);
        }
        QaCodec codec;
        try {
            codec = QaCodec.open(spec.tokenizer(), spec.sequenceLength());
        } catch (IOException e) {
            throw new ModelException(e.getMessage(), e); // names the file
        } catch (RuntimeException e) {
            throw new ModelException("cannot load tokenizer " + spec.tokenizer().toAbsolutePath() + ": " + rootMessage(e), e);
        }
        ZooModel<Batch, Logits> model = null;
        List<Predictor<Batch, Logits>> created = new ArrayList<>();
        try {
            Device device = startEngine(spec);
            String name = file.getFileName().toString();
            Criteria<Batch, Logits> criteria = Criteria.builder()
                    .setTypes(Batch.class, Logits.class)
                    .optEngine(ENGINE)
                    .optDevice(device)
                    .optModelPath(file.getParent())
                    .optModelName(name.endsWith(".pt") ? name.substring(0, name.length() - 3) : name)
                    // tensors saved on another device (a model traced on a GPU) load onto this one
                    .optOption("mapLocation", "true")
                    .optTranslator(new LogitsTranslator())
                    .build();
            model = criteria.loadModel();
            for (int i = 0; i < predictors; i++) {
                created.add(model.newPredictor());
            }
            return new QaModel(spec, file, model, codec, created);
        } catch (ModelException e) {
            closeAll(created, model, codec);
            throw e;
        } catch (IOException | ModelNotFoundException | MalformedModelException | RuntimeException e) {
            closeAll(created, model, codec);
            throw new ModelException("cannot load model " + file + " as TorchScript (processor=" + spec.processor() + "): "
                    + rootMessage(e), e);
        }
    }

    private static void closeAll(List<Predictor<Batch, Logits>> predictors, ZooModel<Batch, Logits> model, QaCodec codec) {
        predictors.forEach(Predictor::close);
        if (model != null) {
            model.close();
        }
        codec.close();
    }

    /**
     * Sets DJL's engine properties from the spec and starts the PyTorch engine (once per JVM);
     * returns the device to load on.
     */
    static synchronized Device startEngine(Spec spec) {
        if (System.getProperty(OFFLINE) == null) {
            System.setProperty(OFFLINE, "true");
        }
        if (spec.intraOpThreads() > 0) {
            System.setProperty(INTRA_OP_THREADS, Integer.toString(spec.intraOpThreads()));
        }
        if (spec.interOpThreads() > 0) {
            System.setProperty(INTER_OP_THREADS, Integer.toString(spec.interOpThreads()));
        }
        Path neuron = spec.neuronLibrary();
        if (spec.neuron()) {
            if (neuron != null) {
                if (!Files.isRegularFile(neuron)) {
                    throw new ModelException("processor=" + spec.processor() + ": Neuron library not found: "
                            + neuron.toAbsolutePath());
                }
                System.setProperty(EXTRA_LIBRARY_PATH, neuron.toAbsolutePath().toString());
            } else if (System.getenv(EXTRA_LIBRARY_PATH) == null && System.getProperty(EXTRA_LIBRARY_PATH) == null) {
                throw new ModelException("processor=" + spec.processor() + " needs the Neuron library (libtorchneuron.so): "
                        + "give its path, or set " + EXTRA_LIBRARY_PATH);
            }
        }
        Engine engine;
        try {
            engine = Engine.getEngine(ENGINE);
        } catch (RuntimeException e) {
            throw new ModelException("cannot start the PyTorch engine (it needs ai.djl.pytorch:pytorch-native-cpu or a CUDA "
                    + "flavour on the classpath, or an extracted copy in ~/.djl.ai): " + rootMessage(e), e);
        }
        // the properties only count when the engine starts; a model loaded later in the same JVM
        // still gets its intra-op threads, and its Neuron library (System.load ignores a repeat)
        if (spec.intraOpThreads() > 0 && JniUtils.getNumThreads() != spec.intraOpThreads()) {
            JniUtils.setNumThreads(spec.intraOpThreads());
        }
        if (spec.neuron() && neuron != null) {
            System.load(neuron.toAbsolutePath().toString());
        }
        if (spec.processor().equals("gpu")) {
            if (engine.getGpuCount() < 1) {
                throw new ModelException("processor=gpu but PyTorch sees no CUDA GPU (no GPU or driver, or the classpath has "
                        + "pytorch-native-cpu instead of a CUDA flavour)");
            }
            return Device.gpu(0);
        }
        return Device.cpu();
    }

    static String rootMessage(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (m != null && !m.isBlank() && b.indexOf(m.strip()) < 0) {
                if (!b.isEmpty()) {
                    b.append(": ");
                }
                // libtorch messages carry a C++ stack trace after the first line
                b.append(m.strip().lines().findFirst().orElse(""));
            }
        }
        return b.isEmpty() ? e.getClass().getSimpleName() : b.toString();
    }

    /** The model's input: the encoded pair repeated batchSize times. */
    record Batch(long[] ids, long[] attentionMask, int batchSize) {
    }

    /** The model's output, per row: start and end logits. */
    record Logits(float[][] start, float[][] end) {
    }

    /** Batch to (input_ids, attention_mask) int64 [batch, seq]; (start_logits, end_logits) to arrays. */
    static final class LogitsTranslator implements Translator<Batch, Logits> {
        @Override
        public NDList processInput(TranslatorContext ctx, Batch input) {
            NDManager m = ctx.getNDManager();
            int rows = input.batchSize();
            int n = input.ids().length;
            long[] ids = new long[rows * n];
            long[] mask = new long[rows * n];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(input.ids(), 0, ids, r * n, n);
                System.arraycopy(input.attentionMask(), 0, mask, r * n, n);
            }
            NDArray idArray = m.create(ids, new Shape(rows, n));
            idArray.setName("input_ids");
            NDArray maskArray = m.create(mask, new Shape(rows, n));
            maskArray.setName("attention_mask");
            return new NDList(idArray, maskArray);
        }

        @Override
        public Logits processOutput(TranslatorContext ctx, NDList list) {
            if (list.size() < 2) {
                throw new IllegalStateException("the model returned " + list.size()
                        + " outputs; a question-answering model returns (start_logits, end_logits)");
            }
            return new Logits(rows(list.get(0)), rows(list.get(1)));
        }

        private static float[][] rows(NDArray a) {
            Shape s = a.getShape();
            if (s.dimension() != 2) {
                throw new IllegalStateException("expected logits of shape [batch, sequence], got " + s);
            }
            float[] flat = a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            int rows = (int) s.get(0);
            int n = (int) s.get(1);
            float[][] out = new float[rows][n];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(flat, r * n, out[r], 0, n);
            }
            return out;
        }

        @Override
        public Batchifier getBatchifier() {
            return null;
        }
    }

    /** A loaded model: thread-safe; tokenizing and decoding run outside the predictor lease. */
    public static final class QaModel implements AutoCloseable {
        private final Spec spec;
        private final Path file;
        private final ZooModel<Batch, Logits> model;
        private final QaCodec codec;
        private final List<Predictor<Batch, Logits>> predictors;
        private final BlockingQueue<Predictor<Batch, Logits>> idle;
        private volatile boolean closed;

        QaModel(Spec spec, Path file, ZooModel<Batch, Logits> model, QaCodec codec, List<Predictor<Batch, Logits>> predictors) {
            this.spec = spec;
            this.file = file;
            this.model = model;
            this.codec = codec;
            this.predictors = List.copyOf(predictors);
            this.idle = new ArrayBlockingQueue<>(predictors.size(), false, predictors);
        }

        public Spec spec() {
            return spec;
        }

        public QaCodec codec() {
            return codec;
        }

        public int predictors() {
            return predictors.size();
        }

        /**
         * Answers the sample pair twice, so the first requests do not pay for warming up: PyTorch's
         * profiling graph executor profiles the first forward (hundreds of ms) and optimizes on the
         * second (tens of ms); later forwards of the bundled model take a few ms.
         */
        public Answer warmUp() {
            answer(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT, true);
            return answer(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT, true);
        }

        /** Answers a question about a context; with postprocess off the text is the raw start logits. */
        public Answer answer(String question, String context, boolean postprocess) {
            QaCodec.Encoded enc = codec.encode(question == null ? "" : question, context == null ? "" : context);
            long[] t = new long[1];
            Logits logits = forward(enc, t);
            if (!postprocess) {
                return new Answer(QaCodec.formatLogits(logits.start()), -1, -1, enc.truncated(), t[0]);
            }
            QaCodec.Span span = QaCodec.span(logits.start()[0], logits.end()[0], enc);
            return new Answer(codec.decode(span.ids()), span.start(), span.end(), enc.truncated(), t[0]);
        }

        /** Start and end logits of an encoded pair, one row per batch item. */
        public float[][][] logits(QaCodec.Encoded enc) {
            Logits l = forward(enc, new long[1]);
            return new float[][][] {l.start(), l.end()};
        }

        private Logits forward(QaCodec.Encoded enc, long[] nanos) {
            if (closed) {
                throw new IllegalStateException("model " + file + " is closed");
            }
            Predictor<Batch, Logits> p;
            try {
                p = idle.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ModelException("interrupted waiting for a predictor of " + file, e);
            }
            try {
                long begin = System.nanoTime();
                Logits out = p.predict(new Batch(enc.ids(), enc.attentionMask(), spec.batchSize()));
                nanos[0] = System.nanoTime() - begin;
                return out;
            } catch (TranslateException | RuntimeException e) {
                throw new ModelException("forward of " + file + " failed (inputs int64 [" + spec.batchSize() + ", "
                        + enc.ids().length + "]): " + rootMessage(e), e);
            } finally {
                idle.add(p);
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            predictors.forEach(Predictor::close);
            model.close();
            codec.close();
        }
    }
}
