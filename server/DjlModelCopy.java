package server;

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
 * A model copy on DJL's PyTorch engine: the traced TorchScript module with a pool of predictors
 * (a DJL Predictor is not thread-safe), and the Hugging Face tokenizer. Tokenization and answer
 * decoding run in the caller's thread; a predictor is held only for the forward.
 */
final class DjlModelCopy implements ModelServer.ModelCopy {
    private final ZooModel<Inputs, float[][]> model;
    private final BlockingQueue<Predictor<Inputs, float[][]>> predictors;
    private final HuggingFaceTokenizer tokenizer;
    private final int batchSize;
    private final AtomicInteger waiting = new AtomicInteger();

    private DjlModelCopy(ZooModel<Inputs, float[][]> model, int predictorCount, HuggingFaceTokenizer tokenizer, int batchSize) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.batchSize = batchSize;
        this.predictors = new ArrayBlockingQueue<>(predictorCount);
        for (int i = 0; i < predictorCount; i++) {
            predictors.add(model.newPredictor());
        }
    }

    /** The trace step's metadata.json; a folder without one is refused with the reason. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> metadata(Path modelDir) {
        Path file = modelDir.resolve("metadata.json");
        if (!Files.isRegularFile(file)) {
            throw new ServerSettings.BadSetting("MODEL_DIR=" + modelDir + " has no metadata.json: it must be a folder written by ./trace.java");
        }
        try {
            return new ObjectMapper().readValue(file.toFile(), Map.class);
        } catch (IOException e) {
            throw new ServerSettings.BadSetting(file + " is not valid JSON: " + e.getMessage());
        }
    }

    /**
     * Loads copies with the engine set up once: offline, PyTorch threads divided among the
     * forwards that may run at once, the Neuron library on inf1/inf2.
     */
    static ModelServer.Loader loader(ServerSettings settings, Map<String, Object> metadata) {
        int cores = Runtime.getRuntime().availableProcessors();
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(settings.intraOpThreads(cores)));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        String processor = settings.processor().isEmpty() ? String.valueOf(metadata.getOrDefault("processor", "cpu")) : settings.processor();
        if (processor.startsWith("inf") && !settings.neuronLibraryPath().isEmpty()) {
            // DJL loads extra native libraries (the Neuron custom ops) named by this variable
            System.setProperty("PYTORCH_EXTRA_LIBRARY_PATH", settings.neuronLibraryPath());
        }
        Path modelFile = settings.modelDir().resolve(String.valueOf(metadata.get("file")));
        Path tokenizerFile = settings.modelDir().resolve(String.valueOf(metadata.getOrDefault("tokenizer", "tokenizer.json")));
        int sequenceLength = ((Number) metadata.getOrDefault("sequence_length", 128)).intValue();
        int batchSize = ((Number) metadata.getOrDefault("batch_size", 1)).intValue();
        Device device = processor.equals("gpu") ? Device.gpu() : Device.cpu();
        int predictors = settings.predictors(cores);
        return index -> load(modelFile, tokenizerFile, sequenceLength, batchSize, device, predictors);
    }

    static DjlModelCopy load(Path modelFile, Path tokenizerFile, int sequenceLength, int batchSize, Device device, int predictors)
            throws Exception {
        if (!Files.isRegularFile(modelFile)) {
            throw new IOException("model file not found: " + modelFile);
        }
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder().optTokenizerPath(tokenizerFile)
                .optMaxLength(sequenceLength).optPadToMaxLength().optTruncateSecondOnly()
                .optWithOverflowingTokens(true).build();
        Criteria<Inputs, float[][]> criteria = Criteria.builder().setTypes(Inputs.class, float[][].class)
                .optModelPath(modelFile).optEngine("PyTorch").optDevice(device).optTranslator(new Forward())
                .build();
        ZooModel<Inputs, float[][]> model;
        try {
            model = criteria.loadModel();
        } catch (Exception e) {
            tokenizer.close();
            throw new IOException("cannot load " + modelFile + ": " + e.getMessage(), e);
        }
        DjlModelCopy copy = new DjlModelCopy(model, predictors, tokenizer, batchSize);
        copy.answer(ModelServer.DEFAULT_QUESTION, ModelServer.DEFAULT_CONTEXT, true);
        return copy;
    }

    /** A forward's inputs, each [batch_size, sequence_length]. */
    record Inputs(long[][] ids, long[][] mask) {
    }

    /** input_ids and attention_mask in, start and end logits of the first row out. */
    static final class Forward implements Translator<Inputs, float[][]> {
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

    @Override
    public ModelServer.Answer answer(String question, String context, boolean postprocess) throws Exception {
        Encoding encoding = tokenizer.encode(question, context);
        long[] ids = encoding.getIds();
        long[] mask = encoding.getAttentionMask();
        float[][] logits = forward(batch(ids), batch(mask));
        String text = postprocess ? decode(ids, mask, logits[0], logits[1]) : rawLogits(logits[0]);
        // what did not fit in sequence_length comes back as overflowing encodings
        return new ModelServer.Answer(text, encoding.getOverflowing().length > 0);
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

    /** The original's decoding: argmax start, argmax end + 1; a span that ends before it starts runs to the end. */
    String decode(long[] ids, long[] mask, float[] start, float[] end) {
        int length = 0;
        while (length < mask.length && mask[length] != 0) {
            length++;
        }
        int from = argmax(start, length);
        int to = argmax(end, length) + 1;
        long[] span = Arrays.copyOfRange(ids, from, to > from ? to : length);
        return tokenizer.decode(span, true);
    }

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
    static String rawLogits(float[] start) {
        StringBuilder sb = new StringBuilder("tensor([[");
        for (int i = 0; i < start.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", start[i]));
        }
        return sb.append("]])").toString();
    }

    @Override
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
