package lib.model;

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
