package lib.model;

//SOURCES QaCodec.java

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.util.List;

/**
 * One forward's input: encoded pairs as rows of (input_ids, attention_mask), int64 [rows, width].
 * Rows shorter than the width are padded with [PAD] (id 0, mask 0); the masked positions do not
 * change the logits of the real ones, so a row answers the same in any batch.
 */
public record QaBatch(long[] ids, long[] attentionMask, int rows, int width) {

    /**
     * The pairs as a batch of at least minRows rows (a fixed-shape model's batch size: the last
     * pair is repeated, as the original fed its traced batch) padded to width tokens.
     */
    public static QaBatch of(List<QaCodec.Encoded> pairs, int minRows, int width) {
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one pair");
        }
        int rows = Math.max(minRows, pairs.size());
        long[] ids = new long[rows * width];
        long[] mask = new long[rows * width];
        for (int r = 0; r < rows; r++) {
            QaCodec.Encoded e = pairs.get(Math.min(r, pairs.size() - 1));
            int n = e.ids().length;
            if (n > width) {
                throw new IllegalArgumentException("a pair of " + n + " tokens does not fit a batch " + width + " wide");
            }
            System.arraycopy(e.ids(), 0, ids, r * width, n);
            System.arraycopy(e.attentionMask(), 0, mask, r * width, n);
        }
        return new QaBatch(ids, mask, rows, width);
    }

    /** The model's output, per row: start and end logits over the batch width. */
    public record Logits(float[][] start, float[][] end) {
    }

    /** QaBatch to (input_ids, attention_mask); (start_logits, end_logits) of any float type to float32 rows. */
    static final class Translator implements ai.djl.translate.Translator<QaBatch, Logits> {
        @Override
        public NDList processInput(TranslatorContext ctx, QaBatch input) {
            NDManager m = ctx.getNDManager();
            Shape shape = new Shape(input.rows(), input.width());
            NDArray idArray = m.create(input.ids(), shape);
            idArray.setName("input_ids");
            NDArray maskArray = m.create(input.attentionMask(), shape);
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
            float[] flat = a.toType(DataType.FLOAT32, false).toFloatArray();
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
}
