package lib.model;

//SOURCES Answer.java LoadedModel.java ModelException.java ModelSpec.java PredictorPool.java QaBatch.java QaCodec.java TorchEngine.java

import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import java.util.List;
import java.util.function.Function;

/**
 * A TorchScript question-answering model (a traced BertForQuestionAnswering, or the bundled
 * tiny-bert-qa) loaded with a {@link PredictorPool} on its shared weights, answering one pair per
 * call from any thread (the trace check, the benchmarks' in-process ceiling). Tokenizing and
 * decoding run outside the predictor lease.
 */
public final class QaModel implements AutoCloseable {
    private final LoadedModel model;
    private final PredictorPool<Predictor<QaBatch, QaBatch.Logits>> predictors;
    private volatile boolean closed;

    private QaModel(LoadedModel model, int predictors) {
        this.model = model;
        try {
            this.predictors = new PredictorPool<>(predictors, model::newPredictor);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Loads the model with one predictor per available processor. */
    public static QaModel load(ModelSpec spec) {
        return load(spec, Math.max(1, Runtime.getRuntime().availableProcessors()));
    }

    /**
     * Loads the model and its tokenizer at the traced shape; {@code predictors} predictors are
     * shared by the threads calling {@link #answer} (a DJL predictor serves one thread at a time).
     */
    public static QaModel load(ModelSpec spec, int predictors) {
        return load(spec, predictors, 0);
    }

    /** As {@link #load(ModelSpec, int)}, with batches padded in steps of bucket tokens where the model allows (see {@link LoadedModel}). */
    public static QaModel load(ModelSpec spec, int predictors, int bucket) {
        if (predictors < 1) {
            throw new IllegalArgumentException("predictors must be at least 1, not " + predictors);
        }
        return new QaModel(LoadedModel.load(spec, bucket), predictors);
    }

    public ModelSpec spec() {
        return model.spec();
    }

    public QaCodec codec() {
        return model.codec();
    }

    public LoadedModel loaded() {
        return model;
    }

    public int predictors() {
        return predictors.size();
    }

    /** Warms the model up ({@link LoadedModel#warmUp}) and answers the sample pair. */
    public Answer warmUp() {
        model.warmUp(1);
        return answer(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT, true);
    }

    /** Answers a question about a context; with postprocess off the text is the raw start logits. */
    public Answer answer(String question, String context, boolean postprocess) {
        QaCodec.Encoded enc = model.codec().encodeTokens(question == null ? "" : question, context == null ? "" : context);
        return withPredictor(p -> model.answer(p, List.of(enc), postprocess).get(0));
    }

    /** Start and end logits of an encoded pair, one row per batch item, at the traced length. */
    public float[][][] logits(QaCodec.Encoded enc) {
        return withPredictor(p -> {
            try {
                QaBatch.Logits l = p.predict(QaBatch.of(List.of(enc), model.spec().batchSize(), enc.ids().length));
                return new float[][][] {l.start(), l.end()};
            } catch (TranslateException e) {
                throw new ModelException("forward failed: " + TorchEngine.rootMessage(e), e);
            }
        });
    }

    private <T> T withPredictor(Function<Predictor<QaBatch, QaBatch.Logits>, T> work) {
        if (closed) {
            throw new IllegalStateException("model " + model.spec().modelFile() + " is closed");
        }
        Predictor<QaBatch, QaBatch.Logits> p;
        try {
            p = predictors.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelException("interrupted waiting for a predictor of " + model.spec().modelFile(), e);
        }
        try {
            return work.apply(p);
        } finally {
            predictors.release(p);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        predictors.close();
        model.close();
    }
}
