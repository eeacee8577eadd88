package lib;

//DEPS ai.djl:api:0.36.0
//DEPS ai.djl.pytorch:pytorch-engine:0.36.0
//DEPS ai.djl.pytorch:pytorch-jni:2.7.1-0.36.0
//DEPS ai.djl.huggingface:tokenizers:0.36.0

import ai.djl.Device;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A question-answering model on DJL's PyTorch engine, used by the trace step's test and by every
 * model copy of the server: the traced TorchScript module with a pool of predictors (a DJL
 * Predictor is not thread-safe) and the Hugging Face tokenizer. Tokenization and answer decoding
 * run in the caller's thread; a predictor is held only for the forward.
 */
public final class QaModel implements AutoCloseable {
    /** The original's test question and context (trace step). */
    public static final String QUESTION = "What does the little engine say?";
    public static final String CONTEXT = "In the childrens story about the little engine a small locomotive is pulling a large load up a mountain."
            + " Since the load is heavy and the engine is small it is not sure whether it will be able to do the job. This is a story"
            + " about how an optimistic attitude empowers everyone to achieve more. In the story the little engine says: 'I think I can' as it is"
            + " pulling the heavy load all the way to the top of the mountain. On the way down it says: I thought I could.";

    /** What to load: the files of a trace folder and how to run them. */
    public record Spec(Path modelFile, Path tokenizerFile, String processor, int sequenceLength, int batchSize,
                       int predictors, int intraOpThreads, String neuronLibraryPath) {
    }

    /** An answer: the text (or raw logits), the token span, whether the input was cut to fit, the forward's time. */
    public record Answer(String text, int start, int end, boolean truncated, long forwardNanos) {
    }

    private final ZooModel<Inputs, float[][]> model;
    private final BlockingQueue<Predictor<Inputs, float[][]>> predictors;
    private final HuggingFaceTokenizer tokenizer;
    private final int batchSize;
    private final AtomicInteger waiting = new AtomicInteger();

    private QaModel(ZooModel<Inputs, float[][]> model, int predictorCount, HuggingFaceTokenizer tokenizer, int batchSize) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.batchSize = batchSize;
        this.predictors = new ArrayBlockingQueue<>(predictorCount);
        for (int i = 0; i < predictorCount; i++) {
            predictors.add(model.newPredictor());
        }
    }

    /** A trace folder's metadata.json as a map; a folder without one is refused with the reason. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> metadata(Path traceDir) {
        Path file = traceDir.resolve("metadata.json");
        if (!Files.isRegularFile(file)) {
            throw CliError.badInput(traceDir + " has no metadata.json: it must be a folder written by ./trace.java");
        }
        try {
            return new ObjectMapper().readValue(file.toFile(), Map.class);
        } catch (IOException e) {
            throw CliError.badInput(file + " is not valid JSON: " + e.getMessage());
        }
    }

    /** The spec of a trace folder, for a processor (empty: the one it was traced for). */
    public static Spec spec(Path traceDir, String processor, int predictors, int intraOpThreads, String neuronLibraryPath) {
        Map<String, Object> meta = metadata(traceDir);
        return new Spec(traceDir.resolve(String.valueOf(meta.get("file"))),
                traceDir.resolve(String.valueOf(meta.getOrDefault("tokenizer", "tokenizer.json"))),
                processor.isEmpty() ? String.valueOf(meta.getOrDefault("processor", "cpu")) : processor,
                ((Number) meta.getOrDefault("sequence_length", 128)).intValue(),
                ((Number) meta.getOrDefault("batch_size", 1)).intValue(), predictors, intraOpThreads, neuronLibraryPath);
    }

    /** DJL warns about a CUDA driver on every machine without a GPU, and about plain .pt paths: both expected here. */
    public static void quietEngineWarnings() {
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error");
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl.repository.SimpleRepository", "error");
    }

    /**
     * Sets up the engine, once per process, before it starts: offline, PyTorch threads divided
     * among the forwards that may run at once, the Neuron library on inf1/inf2.
     */
    public static synchronized void configureEngine(Spec spec) {
        quietEngineWarnings();
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(spec.intraOpThreads()));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        if (spec.processor().startsWith("inf") && spec.neuronLibraryPath() != null && !spec.neuronLibraryPath().isEmpty()) {
            // DJL loads extra native libraries (the Neuron custom ops) named by this variable
            System.setProperty("PYTORCH_EXTRA_LIBRARY_PATH", spec.neuronLibraryPath());
        }
    }

    /** The device a processor runs on: CUDA device 0 for gpu; CPU otherwise (Neuron runs through the CPU device). */
    public static Device device(String processor) {
        return processor.equals("gpu") ? Device.gpu() : Device.cpu();
    }

    /** Loads the model and warms it up with one forward. */
    public static QaModel load(Spec spec) throws IOException {
        configureEngine(spec);
        if (!Files.isRegularFile(spec.modelFile())) {
            throw new IOException("model file not found: " + spec.modelFile());
        }
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder().optTokenizerPath(spec.tokenizerFile())
                .optMaxLength(spec.sequenceLength()).optPadToMaxLength().optTruncateSecondOnly()
                .optWithOverflowingTokens(true).build();
        Criteria<Inputs, float[][]> criteria = Criteria.builder().setTypes(Inputs.class, float[][].class)
                .optModelPath(spec.modelFile()).optEngine("PyTorch").optDevice(device(spec.processor())).optTranslator(new Forward())
                .build();
        ZooModel<Inputs, float[][]> model;
        try {
            model = criteria.loadModel();
        } catch (Exception e) {
            tokenizer.close();
            throw new IOException("cannot load " + spec.modelFile() + ": " + e.getMessage(), e);
        }
        QaModel qa = new QaModel(model, spec.predictors(), tokenizer, spec.batchSize());
        try {
            qa.answer(QUESTION, CONTEXT, true);
        } catch (Exception e) {
            qa.close();
            throw new IOException("cannot run " + spec.modelFile() + ": " + e.getMessage(), e);
        }
        return qa;
    }

    /** A forward's inputs, each [batch_size, sequence_length]. */
    public record Inputs(long[][] ids, long[][] mask) {
    }

    /** input_ids and attention_mask in, start and end logits of the first row out. */
    public static final class Forward implements Translator<Inputs, float[][]> {
        @Override
        public NDList processInput(TranslatorContext ctx, Inputs input) {
            NDManager m = ctx.getNDManager();
            return new NDList(m.create(input.ids()), m.create(input.mask()));
        }

        /** The inputs already carry the batch dimension; DJL's default would stack another one. */
        @Override
        public ai.djl.translate.Batchifier getBatchifier() {
            return null;
        }

        @Override
        public float[][] processOutput(TranslatorContext ctx, NDList list) {
            int length = (int) list.get(0).getShape().get(1);
            return new float[][] {Arrays.copyOf(list.get(0).toFloatArray(), length), Arrays.copyOf(list.get(1).toFloatArray(), length)};
        }
    }

    /** Answers a question about a context; safe to call from many threads. */
    public Answer answer(String question, String context, boolean postprocess) throws Exception {
        Encoding encoding = tokenizer.encode(question, context);
        long[] ids = encoding.getIds();
        long[] mask = encoding.getAttentionMask();
        long began = System.nanoTime();
        float[][] logits = forward(batch(ids), batch(mask));
        long forward = System.nanoTime() - began;
        int length = length(mask);
        int from = argmax(logits[0], length);
        int to = argmax(logits[1], length) + 1;
        String text = postprocess ? decode(ids, from, to, length) : rawLogits(logits[0]);
        // what did not fit in sequence_length comes back as overflowing encodings
        return new Answer(text, from, to, encoding.getOverflowing().length > 0, forward);
    }

    /** The traced batch size is part of a Neuron model's shape, so rows are repeated to fill it. */
    private long[][] batch(long[] row) {
        long[][] rows = new long[batchSize][];
        Arrays.fill(rows, row);
        return rows;
    }

    private float[][] forward(long[][] ids, long[][] mask) throws Exception {
        waiting.incrementAndGet();
        Predictor<Inputs, float[][]> predictor = predictors.take();
        waiting.decrementAndGet();
        try {
            return predictor.predict(new Inputs(ids, mask));
        } finally {
            predictors.add(predictor);
        }
    }

    private static int length(long[] mask) {
        int length = 0;
        while (length < mask.length && mask[length] != 0) {
            length++;
        }
        return length;
    }

    /**
     * The original's decoding: tokens from argmax(start) to argmax(end) + 1, or to the end of the
     * input (padding excluded) when the span would end before it starts.
     */
    String decode(long[] ids, int from, int to, int length) {
        return tokenizer.decode(Arrays.copyOfRange(ids, from, to > from ? to : length), true);
    }

    /** Index of the largest of the first `length` values. */
    static int argmax(float[] values, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    /** With postprocess off the original returned str(start_logits): the tensor as text. */
    public static String rawLogits(float[] start) {
        StringBuilder sb = new StringBuilder("tensor([[");
        for (int i = 0; i < start.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", start[i]));
        }
        return sb.append("]])").toString();
    }

    /** Requests waiting for a free predictor. */
    public int waiting() {
        return waiting.get();
    }

    @Override
    public void close() {
        predictors.forEach(Predictor::close);
        model.close();
        tokenizer.close();
    }
}
