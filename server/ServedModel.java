package server;

import ai.djl.inference.Predictor;
import java.util.List;
import lib.model.Answer;
import lib.model.LoadedModel;
import lib.model.QaBatch;
import lib.model.QaCodec;

/**
 * A model as the server runs it: pairs are encoded on the request threads, batches answered on
 * the worker threads through runners (one thread at a time each). Copies of one model share it.
 */
interface ServedModel extends AutoCloseable {
    QaCodec.Encoded encode(String question, String context);

    Runner newRunner();

    /** The most pairs one forward may take (a fixed-shape model's traced batch size). */
    default int maxBatchRows() {
        return Integer.MAX_VALUE;
    }

    /** How batches are shaped, for the log and /models. */
    default String shapeNote() {
        return "";
    }

    @Override
    void close();

    /** Answers batches: a predictor on the shared weights. */
    interface Runner extends AutoCloseable {
        List<Answer> answer(List<QaCodec.Encoded> batch, boolean postprocess);

        @Override
        default void close() {
        }
    }

    /** The DJL model behind the server. */
    static ServedModel of(LoadedModel model) {
        return new ServedModel() {
            @Override
            public QaCodec.Encoded encode(String question, String context) {
                return model.codec().encodeTokens(question, context);
            }

            @Override
            public Runner newRunner() {
                Predictor<QaBatch, QaBatch.Logits> predictor = model.newPredictor();
                return new Runner() {
                    @Override
                    public List<Answer> answer(List<QaCodec.Encoded> batch, boolean postprocess) {
                        return model.answer(predictor, batch, postprocess);
                    }

                    @Override
                    public void close() {
                        predictor.close();
                    }
                };
            }

            @Override
            public int maxBatchRows() {
                return model.maxRows();
            }

            @Override
            public String shapeNote() {
                return model.shapeNote();
            }

            @Override
            public void close() {
                model.close();
            }
        };
    }
}
