package lib.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.slf4j.LoggerFactory;
import org.junit.jupiter.api.Test;

/** Answer spans on word boundaries: the pure functions, then with the bundled WordPiece tokenizer. */
class QaCodecTest {
    static final Path TOKENIZER = Path.of("models/bundled/tokenizer.json").toAbsolutePath();

    //                 [CLS] q  [SEP] w0  w1  w1  w1  w2  w3  w3 [SEP] pad
    static final long[] WORDS = {-1, 0, -1, 0, 1, 1, 1, 2, 3, 3, -1, -1};
    static final long[] MASK = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0};

    /** DJL's CUDA probe warns on every machine with a CUDA toolkit and no usable GPU; the tokenizer's library runs it too. */
    @Test
    void openingATokenizerLeavesDjlsCudaProbeQuiet() throws Exception {
        QaCodec.open(Path.of("models/bundled/tokenizer.json"), 128);
        assertFalse(LoggerFactory.getLogger("ai.djl.util.cuda.CudaUtils").isWarnEnabled(), "CudaUtils would warn");
    }

    @Test
    void aSpanStartingOnAContinuationPieceStartsAtItsWord() {
        assertArrayEquals(new int[] {4, 7}, QaCodec.wordBounds(5, 7, WORDS, MASK));
        assertArrayEquals(new int[] {4, 7}, QaCodec.wordBounds(6, 7, WORDS, MASK));
    }

    @Test
    void aSpanEndingMidWordEndsAtItsWord() {
        assertArrayEquals(new int[] {3, 7}, QaCodec.wordBounds(3, 5, WORDS, MASK));
        assertArrayEquals(new int[] {7, 10}, QaCodec.wordBounds(7, 9, WORDS, MASK));
        assertArrayEquals(new int[] {4, 10}, QaCodec.wordBounds(5, 9, WORDS, MASK), "both ends");
    }

    @Test
    void wholeWordsAndSpecialTokensStayAsTheyAre() {
        assertArrayEquals(new int[] {4, 8}, QaCodec.wordBounds(4, 8, WORDS, MASK));
        assertArrayEquals(new int[] {3, 4}, QaCodec.wordBounds(3, 4, WORDS, MASK), "word 0 of the context is not word 0 of the question");
        assertArrayEquals(new int[] {0, 1}, QaCodec.wordBounds(0, 1, WORDS, MASK));
        assertArrayEquals(new int[] {10, 12}, QaCodec.wordBounds(10, 12, WORDS, MASK), "[SEP] and padding belong to no word");
    }

    @Test
    void aBadSpanIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> QaCodec.wordBounds(5, 5, WORDS, MASK));
        assertThrows(IllegalArgumentException.class, () -> QaCodec.wordBounds(2, 13, WORDS, MASK));
        assertThrows(IllegalArgumentException.class, () -> QaCodec.wordBounds(2, 4, WORDS, new long[3]));
    }

    @Test
    void spanWidensTheArgmaxToWordsOnlyWithWordIds() {
        long[] ids = {2, 10, 3, 20, 21, 22, 23, 24, 25, 26, 3, 0};
        float[] start = new float[12];
        float[] end = new float[12];
        start[5] = 1f;
        end[8] = 1f;
        QaCodec.Span raw = QaCodec.span(start, end, ids, MASK);
        assertEquals(5, raw.start());
        assertEquals(9, raw.end());
        QaCodec.Span words = QaCodec.span(start, end, ids, MASK, WORDS);
        assertEquals(4, words.start());
        assertEquals(10, words.end());
        assertArrayEquals(new long[] {21, 22, 23, 24, 25, 26}, words.ids());
    }

    @Test
    void theBundledTokenizerGivesWordIdsAndAnswersNeverStartWithAPiece() throws Exception {
        try (QaCodec codec = QaCodec.open(TOKENIZER, 32)) {
            // "qwzx" is not in the vocabulary: WordPiece splits it into q ##w ##z ##x
            QaCodec.Encoded enc = codec.encode("who?", "by saint qwzx now");
            long[] w = enc.wordIds();
            assertEquals(32, w.length);
            assertEquals(-1, w[0], "[CLS]");
            int first = 5; // [CLS] who ? [SEP] by saint q ##w ##z ##x now [SEP]
            assertEquals("saint", codec.decode(new long[] {enc.ids()[first]}));
            int piece = first + 2; // ##w
            assertEquals(w[piece], w[first + 1], "pieces of one word share its id");
            float[] start = new float[32];
            float[] end = new float[32];
            start[piece] = 1f;
            end[piece + 1] = 1f;
            QaCodec.Span s = QaCodec.span(start, end, enc);
            assertEquals(first + 1, s.start());
            String text = codec.decode(s.ids());
            assertEquals("qwzx", text);
            assertFalse(codec.decode(QaCodec.span(start, end, enc.ids(), enc.attentionMask()).ids()).startsWith("qw"),
                    "without word ids the same logits decode to a piece");
        }
    }

    @Test
    void encodingThroughTheBindingAgreesWithDjlsEncoding() throws Exception {
        String longContext = QaCodec.SAMPLE_CONTEXT.repeat(3);
        String[][] pairs = {
            {QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT},
            {"who?", "by saint qwzx now"},
            {"Wo wohnt Zoë?", "Zoë wohnt in Köln, 東京 nicht."},
            {QaCodec.SAMPLE_QUESTION, longContext}, // truncated at 128
            {"", ""},
        };
        try (QaCodec codec = QaCodec.open(TOKENIZER, 128)) {
            for (String[] pair : pairs) {
                QaCodec.Encoded fast = codec.encodeTokens(pair[0], pair[1]);
                QaCodec.Encoded djl = codec.encodeTokensThroughDjl(pair[0], pair[1]);
                String what = pair[0] + " / " + pair[1].length() + " chars";
                assertArrayEquals(djl.ids(), fast.ids(), what);
                assertArrayEquals(djl.attentionMask(), fast.attentionMask(), what);
                assertArrayEquals(djl.wordIds(), fast.wordIds(), what);
                assertEquals(djl.truncated(), fast.truncated(), what);
            }
            assertEquals(true, codec.encodeTokens(QaCodec.SAMPLE_QUESTION, longContext).truncated(), "a context longer than 128 tokens");
        }
    }
}
