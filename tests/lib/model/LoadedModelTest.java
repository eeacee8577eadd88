package lib.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The check that decides whether a model may run at other lengths than its traced one. */
class LoadedModelTest {
    static final float[] LOGITS = {-3f, 0.5f, 7f, 1f, -2f, 0f};

    @Test
    void theSameLogitsOrAQuantizedModelsSmallDriftCountAsTheSame() {
        assertTrue(LoadedModel.similar(LOGITS, LOGITS.clone(), LOGITS.length));
        float[] drift = {-3.05f, 0.52f, 6.9f, 1.03f, -1.98f, 0.04f};
        assertTrue(LoadedModel.similar(LOGITS, drift, LOGITS.length), "int8 activations quantized per batch");
    }

    @Test
    void anotherBestTokenOrLogitsThatMovedALotDoNot() {
        float[] otherBest = {-3f, 0.5f, 7f, 8f, -2f, 0f};
        assertFalse(LoadedModel.similar(LOGITS, otherBest, LOGITS.length));
        float[] moved = {1f, -2f, 7.5f, -1f, 2f, 3f};
        assertFalse(LoadedModel.similar(LOGITS, moved, LOGITS.length), "same best token, but everything else moved");
    }
}
