package lib.model;

//SOURCES Answer.java ModelException.java ModelSpec.java QaBatch.java QaCodec.java TorchEngine.java

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One traced model loaded once: its weights, its tokenizer and the shapes it accepts. Every
 * predictor made from it shares the weights (TorchScript inference is thread-safe), so N model
 * copies cost one model's memory plus a little per predictor.
 *
 * <p>Shapes: a model that accepts any length (the sample pair must give the same logits padded to
 * the sequence length and to its own length: checked by trace, recorded as dynamic_length in
 * metadata.json, and probed here only for a folder without that field) gets batches padded to their
 * longest row, rounded up to {@code bucket} tokens, so short requests run short forwards and few
 * distinct shapes reach the JIT. A model that does not, an inf1/inf2 model, or bucket 0 gets the
 * traced shape: every row padded to the sequence length and at least the traced batch size rows.
 */
public final class LoadedModel implements AutoCloseable {
    private final ModelSpec spec;
    private final Path file;
    private final ZooModel<QaBatch, QaBatch.Logits> model;
    private final QaCodec codec;
    private int bucket;
    /** Only the traced shape: rows padded to the sequence length and exactly the traced batch size per forward. */
    private boolean tracedShapeOnly;
    private String shapeNote = "";

    private LoadedModel(ModelSpec spec, Path file, ZooModel<QaBatch, QaBatch.Logits> model, QaCodec codec) {
        this.spec = spec;
        this.file = file;
        this.model = model;
        this.codec = codec;
    }

    /**
     * Loads the model and its tokenizer once. bucket: round batch widths up to a multiple of it
     * when the model accepts any length; 0 keeps the traced sequence length.
     */
    public static LoadedModel load(ModelSpec spec, int bucket) {
        return load(spec, bucket, false);
    }

    /** As {@link #load(ModelSpec, int)}; tracedShapeOnly when the trace says its model takes no other shape. */
    public static LoadedModel load(ModelSpec spec, int bucket, boolean tracedShapeOnly) {
        return load(spec, bucket, tracedShapeOnly ? Lengths.TRACED : Lengths.PROBE);
    }

    /**
     * What is known of the lengths a model takes: checked at trace time and recorded in
     * metadata.json (ANY, TRACED), or not known (PROBE: checked when the model loads).
     */
    public enum Lengths {
        ANY, TRACED, PROBE;

        /** From metadata.json's dynamic_length: true, false, or absent (a folder from an older trace). */
        public static Lengths of(java.util.Map<String, Object> metadata) {
            Object recorded = metadata.get(DYNAMIC_LENGTH);
            return Boolean.TRUE.equals(recorded) ? ANY : Boolean.FALSE.equals(recorded) ? TRACED : PROBE;
        }
    }

    /** The metadata.json field that records the trace-time length check. */
    public static final String DYNAMIC_LENGTH = "dynamic_length";

    /** As {@link #load(ModelSpec, int)}, with what the trace recorded about other lengths. */
    public static LoadedModel load(ModelSpec spec, int bucket, Lengths lengths) {
        if (bucket < 0) {
            throw new IllegalArgumentException("bucket must be 0 or more, not " + bucket);
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
            throw new ModelException("cannot load tokenizer " + spec.tokenizer().toAbsolutePath() + ": "
                    + TorchEngine.rootMessage(e), e);
        }
        ZooModel<QaBatch, QaBatch.Logits> model = null;
        try {
            Device device = TorchEngine.start(spec);
            String name = file.getFileName().toString();
            Criteria<QaBatch, QaBatch.Logits> criteria = Criteria.builder()
                    .setTypes(QaBatch.class, QaBatch.Logits.class)
                    .optEngine(TorchEngine.NAME)
                    .optDevice(device)
                    .optModelPath(file.getParent())
                    .optModelName(name.endsWith(".pt") ? name.substring(0, name.length() - 3) : name)
                    // tensors saved on another device (a model traced on a GPU) load onto this one
                    .optOption("mapLocation", "true")
                    .optTranslator(new QaBatch.Translator())
                    .build();
            model = criteria.loadModel();
            LoadedModel loaded = new LoadedModel(spec, file, model, codec);
            loaded.chooseShapes(bucket, lengths);
            return loaded;
        } catch (ModelException e) {
            closeQuietly(model, codec);
            throw e;
        } catch (IOException | ModelNotFoundException | MalformedModelException | RuntimeException e) {
            closeQuietly(model, codec);
            throw new ModelException("cannot load model " + file + " as TorchScript (processor=" + spec.processor()
                    + "): " + TorchEngine.rootMessage(e), e);
        }
    }

    private static void closeQuietly(ZooModel<?, ?> model, QaCodec codec) {
        if (model != null) {
            model.close();
        }
        codec.close();
    }

    /**
     * Variable widths only where the model gives the same logits at its own length as at the traced
     * one. The trace's record is trusted: trace ran this very check on this file (metadata.json
     * holds its sha256), and skipping it spares every load two forwards; older folders are probed.
     */
    private void chooseShapes(int wanted, Lengths lengths) {
        bucket = 0;
        tracedShapeOnly = true;
        if (spec.neuron()) {
            shapeNote = traced() + " (Neuron models have the traced shape)";
            return;
        }
        if (lengths == Lengths.TRACED) {
            shapeNote = traced() + " (metadata.json: dynamic_length false)";
            return;
        }
        String refused = lengths == Lengths.ANY ? null : probeLengths();
        if (refused != null) {
            shapeNote = traced() + " (" + refused + ")";
            return;
        }
        tracedShapeOnly = false;
        bucket = wanted;
        shapeNote = (wanted == 0 ? "rows padded to the sequence length " + spec.sequenceLength() + " (sequence_bucket=0)"
                : "batches padded to their longest row, in steps of " + wanted + " tokens")
                + (lengths == Lengths.ANY ? " (metadata.json: dynamic_length true)" : "");
    }

    /**
     * The length check: the sample pair alone at the traced shape and, as the second row of a
     * batch, at its own length. Null when both give the same logits, else why not.
     */
    private String probeLengths() {
        QaCodec.Encoded pair = codec.encodeTokens(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT);
        int n = pair.ids().length;
        try (Predictor<QaBatch, QaBatch.Logits> p = model.newPredictor()) {
            QaBatch.Logits full = p.predict(QaBatch.of(List.of(pair), spec.batchSize(), spec.sequenceLength()));
            QaBatch.Logits own = p.predict(QaBatch.of(List.of(pair, pair), 1, n));
            return similar(full.start()[0], own.start()[1], n) && similar(full.end()[0], own.end()[1], n) ? null
                    : "the model's logits change with the padded length";
        } catch (TranslateException | RuntimeException e) {
            return "the model refused another shape: " + TorchEngine.rootMessage(e);
        }
    }

    /**
     * trace's length check, recorded as dynamic_length: whether the model at spec (a CPU spec; the
     * arithmetic is the same on other processors) gives the same logits at other lengths.
     */
    public static boolean checkLengths(ModelSpec spec) {
        try (LoadedModel m = load(spec, 0, Lengths.PROBE)) {
            return m.takesAnyLength();
        }
    }

    /** Whether the model takes other shapes than its traced one (bucket 0 pads to the traced length anyway). */
    public boolean takesAnyLength() {
        return !tracedShapeOnly;
    }

    private String traced() {
        return "the traced shape only: " + spec.batchSize() + " x " + spec.sequenceLength();
    }

    /**
     * The same logits over the real tokens, as far as the model's arithmetic allows: the same best
     * token, and differences small against the logits' spread. (int8 models quantize activations
     * per batch, so padding moves their logits a little; a model that mishandles other lengths
     * moves them a lot.)
     */
    static boolean similar(float[] a, float[] b, int n) {
        if (QaCodec.argmax(a, n) != QaCodec.argmax(b, n)) {
            return false;
        }
        double mean = 0;
        for (int i = 0; i < n; i++) {
            mean += a[i] / (double) n;
        }
        double spread = 0;
        double difference = 0;
        for (int i = 0; i < n; i++) {
            spread += (a[i] - mean) * (a[i] - mean) / n;
            difference += Math.abs(a[i] - b[i]) / n;
        }
        return difference <= 0.05 * Math.sqrt(spread) + 1e-4;
    }

    public ModelSpec spec() {
        return spec;
    }

    public QaCodec codec() {
        return codec;
    }

    /** How batches are shaped, in words (for the server's log and /models). */
    public String shapeNote() {
        return shapeNote;
    }

    /** True when batches are padded to their longest row rather than the traced length. */
    public boolean variableLength() {
        return bucket > 0;
    }

    /** The most pairs one forward may take: the traced batch size for a model that takes only its traced shape. */
    public int maxRows() {
        return tracedShapeOnly ? spec.batchSize() : Integer.MAX_VALUE;
    }

    /** Tokens per row of a batch of these pairs. */
    public int width(List<QaCodec.Encoded> pairs) {
        if (bucket == 0) {
            return spec.sequenceLength();
        }
        int longest = 1;
        for (QaCodec.Encoded e : pairs) {
            longest = Math.max(longest, e.ids().length);
        }
        return Math.min(spec.sequenceLength(), (longest + bucket - 1) / bucket * bucket);
    }

    /** A predictor on the shared weights; one thread at a time may use it. */
    public Predictor<QaBatch, QaBatch.Logits> newPredictor() {
        return model.newPredictor();
    }

    /**
     * Answers the pairs (from {@link QaCodec#encodeTokens}) with one forward on the predictor: one
     * answer per pair. With postprocess off an answer's text is its rows' raw start logits.
     */
    public List<Answer> answer(Predictor<QaBatch, QaBatch.Logits> predictor, List<QaCodec.Encoded> pairs,
                                      boolean postprocess) {
        // at the traced length the original fed its traced batch size, repeating the pair
        int minRows = tracedShapeOnly || bucket == 0 ? spec.batchSize() : 1;
        QaBatch batch = QaBatch.of(pairs, minRows, width(pairs));
        QaBatch.Logits logits;
        long begin = System.nanoTime();
        try {
            logits = predictor.predict(batch);
        } catch (TranslateException | RuntimeException e) {
            throw new ModelException("forward of " + file + " failed (inputs int64 [" + batch.rows() + ", "
                    + batch.width() + "]): " + TorchEngine.rootMessage(e), e);
        }
        long nanos = System.nanoTime() - begin;
        List<Answer> answers = new ArrayList<>(pairs.size());
        for (int i = 0; i < pairs.size(); i++) {
            QaCodec.Encoded e = pairs.get(i);
            if (!postprocess) {
                // this pair's rows: its own, and the repeats of the last pair that fill a fixed batch
                int last = i == pairs.size() - 1 ? batch.rows() : i + 1;
                float[][] rows = java.util.Arrays.copyOfRange(logits.start(), i, last);
                answers.add(new Answer(QaCodec.formatLogits(rows), -1, -1, e.truncated(), nanos));
                continue;
            }
            QaCodec.Span span = QaCodec.span(logits.start()[i], logits.end()[i], e);
            answers.add(new Answer(codec.decode(span.ids()), span.start(), span.end(), e.truncated(), nanos));
        }
        return answers;
    }

    /**
     * Runs the sample pair three times alone and, when batchRows (at most {@link #maxRows}) is more
     * than 1, twice as a batch of that many rows, so that the first requests do not pay for
     * PyTorch's profiling executor, which profiles, then optimizes, each shape it sees. The server
     * and {@link QaModel} warm up here.
     */
    public void warmUp(int batchRows) {
        QaCodec.Encoded pair = codec.encodeTokens(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT);
        try (Predictor<QaBatch, QaBatch.Logits> predictor = newPredictor()) {
            for (int i = 0; i < 3; i++) {
                answer(predictor, List.of(pair), true);
            }
            int rows = Math.min(batchRows, maxRows());
            if (rows > 1) {
                answer(predictor, java.util.Collections.nCopies(rows, pair), true);
                answer(predictor, java.util.Collections.nCopies(rows, pair), true);
            }
        }
    }

    @Override
    public void close() {
        model.close();
        codec.close();
    }
}
