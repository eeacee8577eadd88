package lib.model;

//DEPS ai.djl.huggingface:tokenizers
// TorchEngine.java brings DJL's BOM
//SOURCES TorchEngine.java

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * Question-answering text codec: turns a (question, context) pair into the model's two int64 inputs
 * and its logits back into an answer, as the original server did with the Hugging Face tokenizer:
 * {@code encode_plus(question, context, max_length=sequence_length, padding="max_length",
 * truncation=True)}, then start = argmax(start_logits), end = argmax(end_logits) + 1 and the tokens
 * [start, end) (or [start:] when end <= start) decoded back to text.
 *
 * <p>The tokenizer is DJL's binding of the Hugging Face {@code tokenizers} library, read from a local
 * tokenizer.json; it is safe to use from several threads at once. The decoding itself is in static
 * pure functions ({@link #span}, {@link #formatLogits}) so it can be tested without a model.
 */
public final class QaCodec implements AutoCloseable {
    /** The question and context of the original's tests and clients. */
    public static final String SAMPLE_QUESTION = "What does the little engine say?";

    public static final String SAMPLE_CONTEXT = "In the childrens story about the little engine a small locomotive is pulling a large "
            + "load up a mountain. Since the load is heavy and the engine is small it is not sure whether it will be able to do "
            + "the job. This is a story about how an optimistic attitude empowers everyone to achieve more. In the story the "
            + "little engine says: 'I think I can' as it is pulling the heavy load all the way to the top of the mountain. "
            + "On the way down it says: I thought I could.";

    /**
     * One encoded pair: its real tokens ({@link #encodeTokens}) or padded to the sequence length
     * ({@link #encode}). {@code wordIds} numbers the words of each
     * sequence (the tokens of one word share a number; special tokens and padding are -1), as the
     * Hugging Face tokenizer's word_ids(); null when unknown, and then spans are not widened to words.
     */
    public record Encoded(long[] ids, long[] attentionMask, boolean truncated, long[] wordIds) {
        public Encoded(long[] ids, long[] attentionMask, boolean truncated) {
            this(ids, attentionMask, truncated, null);
        }

        /** Number of real (unpadded) tokens. */
        public int used() {
            int n = 0;
            for (long m : attentionMask) {
                n += m != 0 ? 1 : 0;
            }
            return n;
        }
    }

    /**
     * The answer's token positions: {@code start} = argmax(start_logits), {@code end} (exclusive) =
     * argmax(end_logits) + 1 when that is after start, otherwise the end of the real tokens, and the
     * token ids in between with padding left out.
     */
    public record Span(int start, int end, long[] ids) {
    }

    private final Path tokenizerFile;
    private final int sequenceLength;
    private final HuggingFaceTokenizer tokenizer;

    private QaCodec(Path tokenizerFile, int sequenceLength, HuggingFaceTokenizer tokenizer) {
        this.tokenizerFile = tokenizerFile;
        this.sequenceLength = sequenceLength;
        this.tokenizer = tokenizer;
    }

    /** Reads a Hugging Face tokenizer.json; pairs are truncated to sequenceLength. */
    public static QaCodec open(Path tokenizerJson, int sequenceLength) throws IOException {
        TorchEngine.quietWarnings(); // the tokenizer's native library looks for CUDA too
        if (sequenceLength < 3) {
            throw new IllegalArgumentException("sequence length must be at least 3, not " + sequenceLength);
        }
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IOException("tokenizer file not found: " + tokenizerJson.toAbsolutePath());
        }
        try {
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder(Map.of(
                            "tokenizerPath", tokenizerJson.toAbsolutePath().toString(),
                            "modelMaxLength", Math.max(512, sequenceLength)))
                    .optAddSpecialTokens(true)
                    .optMaxLength(sequenceLength)
                    .optPadding(false)
                    .optTruncation(true)
                    .build();
            return new QaCodec(tokenizerJson, sequenceLength, tokenizer);
        } catch (RuntimeException e) {
            throw new IOException("cannot read tokenizer " + tokenizerJson.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    public int sequenceLength() {
        return sequenceLength;
    }

    /** [CLS] question [SEP] context [SEP], padded to the sequence length, longest-first truncation. */
    public Encoded encode(String question, String context) {
        return pad(encodeTokens(question, context), sequenceLength);
    }

    /** [CLS] question [SEP] context [SEP] without padding: at most the sequence length, longest-first truncation. */
    public Encoded encodeTokens(String question, String context) {
        // DJL's Encoding copies every view of the encoding out of Rust (tokens as strings, character
        // spans, type and special-token masks): a fifth of a small model's request. Only four are used.
        long[] ids;
        long[] mask;
        long[] words;
        boolean truncated;
        TokenizersLibrary lib = TokenizersLibrary.LIB;
        long encoding = lib.encodeDual(tokenizer.getHandle(), question, context, true);
        try {
            ids = lib.getTokenIds(encoding);
            mask = lib.getAttentionMask(encoding);
            words = lib.getWordIds(encoding);
            truncated = lib.getOverflowCount(encoding) > 0;
        } finally {
            lib.deleteEncoding(encoding);
        }
        if (ids.length > sequenceLength) {
            // the tokenizer truncates to maxLength; anything else is a bug worth a clear message
            throw new IllegalStateException("tokenizer " + tokenizerFile + " gave " + ids.length + " tokens, more than "
                    + sequenceLength);
        }
        return new Encoded(ids, mask, truncated, words);
    }

    /** As {@link #encodeTokens}, through DJL's own Encoding: what that one must agree with (QaCodecTest) and beat (bench/EncodeBench). */
    public Encoded encodeTokensThroughDjl(String question, String context) {
        Encoding e = tokenizer.encode(question, context);
        return new Encoded(e.getIds(), e.getAttentionMask(), e.exceedMaxLength(), e.getWordIds());
    }

    /** The pair padded with [PAD] (id 0, mask 0) to width tokens; width must hold its tokens. */
    public static Encoded pad(Encoded e, int width) {
        if (width < e.ids().length) {
            throw new IllegalArgumentException("cannot pad " + e.ids().length + " tokens to " + width);
        }
        if (width == e.ids().length) {
            return e;
        }
        long[] words = null;
        if (e.wordIds() != null) {
            words = Arrays.copyOf(e.wordIds(), width);
            Arrays.fill(words, e.wordIds().length, width, -1);
        }
        return new Encoded(Arrays.copyOf(e.ids(), width), Arrays.copyOf(e.attentionMask(), width), e.truncated(), words);
    }

    /** The text of token ids, special tokens skipped (the tokenizer's own WordPiece decoder). */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    /** The answer span of one row of logits over one encoded pair, widened to whole words (see {@link #span}). */
    public static Span span(float[] startLogits, float[] endLogits, Encoded encoded) {
        return span(startLogits, endLogits, encoded.ids(), encoded.attentionMask(), encoded.wordIds());
    }

    /** The answer span of one row of logits over one encoded sequence, as the model's argmax gives it (see {@link Span}). */
    public static Span span(float[] startLogits, float[] endLogits, long[] ids, long[] attentionMask) {
        return span(startLogits, endLogits, ids, attentionMask, null);
    }

    /**
     * The answer span of one row of logits over one encoded sequence (see {@link Span}), widened to
     * word boundaries when {@code wordIds} is given: a span that starts on a word's continuation
     * piece (a "##" piece of WordPiece) starts at that word's first token instead, and one that ends
     * inside a word ends at its last token, so an answer never begins or ends mid-word.
     */
    public static Span span(float[] startLogits, float[] endLogits, long[] ids, long[] attentionMask, long[] wordIds) {
        int n = ids.length;
        if (startLogits.length < n || endLogits.length < n || attentionMask.length != n) {
            throw new IllegalArgumentException("logits (" + startLogits.length + ", " + endLogits.length + "), ids (" + n
                    + ") and attention mask (" + attentionMask.length + ") lengths differ");
        }
        int start = argmax(startLogits, n);
        int end = argmax(endLogits, n) + 1;
        if (end <= start) {
            end = n;
        }
        if (wordIds != null) {
            int[] words = wordBounds(start, end, wordIds, attentionMask);
            start = words[0];
            end = words[1];
        }
        long[] span = new long[Math.max(0, end - start)];
        int k = 0;
        for (int i = start; i < end; i++) {
            if (attentionMask[i] != 0) {
                span[k++] = ids[i];
            }
        }
        // the end reported is the end of the real tokens taken, not of the padding skipped
        int last = end;
        while (last > start && attentionMask[last - 1] == 0) {
            last--;
        }
        return new Span(start, last, Arrays.copyOf(span, k));
    }

    /**
     * [start, end) widened to whole words: start moves back while the token before it belongs to the
     * same word, end moves forward while the token at end does. Tokens with a word id below 0
     * (special tokens, padding) belong to no word, so a span never grows across [SEP] or into padding.
     */
    public static int[] wordBounds(int start, int end, long[] wordIds, long[] attentionMask) {
        int n = wordIds.length;
        if (attentionMask.length != n || start < 0 || end > n || start >= end) {
            throw new IllegalArgumentException("span [" + start + ", " + end + ") over " + n + " word ids and "
                    + attentionMask.length + " mask values");
        }
        while (start > 0 && wordIds[start] >= 0 && wordIds[start - 1] == wordIds[start] && attentionMask[start - 1] != 0) {
            start--;
        }
        while (end < n && wordIds[end] >= 0 && wordIds[end] == wordIds[end - 1] && attentionMask[end] != 0) {
            end++;
        }
        return new int[] {start, end};
    }

    /** Index of the first largest value among the first n, like torch.argmax. */
    static int argmax(float[] values, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Raw logits as text when post-processing is off, shaped like Python's str(tensor):
     * {@code tensor([[-1.2345, 0.5000, ...]])}, one row per batch item, every value with 4 decimals
     * (unlike PyTorch, never abbreviated with "..." and never in scientific notation).
     */
    public static String formatLogits(float[][] rows) {
        StringBuilder b = new StringBuilder("tensor([");
        for (int r = 0; r < rows.length; r++) {
            if (r > 0) {
                b.append(",\n        ");
            }
            b.append('[');
            for (int i = 0; i < rows[r].length; i++) {
                if (i > 0) {
                    b.append(", ");
                }
                b.append(String.format(Locale.ROOT, "%.4f", rows[r][i]));
            }
            b.append(']');
        }
        return b.append("])").toString();
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
