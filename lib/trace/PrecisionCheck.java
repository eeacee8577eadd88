package lib.trace;

//SOURCES ../config/Artifacts.java ../cli/CliError.java ../config/Config.java ../cli/Console.java ../model/ModelException.java ../model/ModelSpec.java ../model/QaCodec.java ../model/QaModel.java

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import lib.cli.CliError;
import lib.cli.Console;
import lib.config.Artifacts;
import lib.config.Config;
import lib.model.ModelException;
import lib.model.ModelSpec;
import lib.model.QaCodec;
import lib.model.QaModel;

/**
 * trace with test=True and precision bf16 or int8: answers a question set with the fp32 model and
 * the reduced-precision one, and prints how often they agree and the largest difference of their
 * logits: models/questions.json, then {@link #GENERATED} questions made from its words
 * ({@link #generated}). Below precision_min_agreement (percent) on either it fails, or only warns
 * with precision_check=warn.
 */
public final class PrecisionCheck {
    /** The question set shipped with the project: the bundled model's questions and the original's. */
    public static final String QUESTIONS = "models/questions.json";
    /** How many generated questions the check adds to the question set. */
    public static final int GENERATED = 200;

    private PrecisionCheck() {
    }

    /** A question about a context. */
    public record Question(String question, String context) {
    }

    /**
     * The comparison.
     *
     * @param agreed questions answered alike
     * @param total questions asked
     * @param maxLogitDifference the largest |fp32 - reduced| of any start or end logit of a real
     *     (unpadded) token
     * @param differing "question: fp32 answer | reduced answer" for each disagreement
     */
    public record Result(int agreed, int total, double maxLogitDifference, List<String> differing) {
        public double agreementPercent() {
            return total == 0 ? 100.0 : 100.0 * agreed / total;
        }
    }

    /** The question set of a JSON file shaped like models/questions.json. */
    public static List<Question> questions(Path file) {
        try {
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            List<Question> out = new ArrayList<>();
            for (JsonNode q : root.path("questions")) {
                out.add(new Question(q.path("question").asText(), q.path("context").asText()));
            }
            if (out.isEmpty()) {
                throw CliError.badInput(file + " holds no questions (a list \"questions\" of {question, context})");
            }
            return out;
        } catch (IOException e) {
            throw CliError.badInput("cannot read the question set " + file + ": " + e.getMessage());
        }
    }

    /**
     * {@code n} question/context pairs of the three kinds the bundled model answers (what someone
     * says, how many, who made something), built from the words of {@code questions} with a fixed
     * seed, each context with a distractor sentence: the same set every time.
     */
    public static List<Question> generated(List<Question> questions, int n) {
        List<String> words = new ArrayList<>(new java.util.TreeSet<>(questions.stream()
                .flatMap(q -> java.util.Arrays.stream((q.question() + " " + q.context()).toLowerCase(Locale.ROOT).split("[^a-z]+")))
                .filter(w -> w.length() > 2 && !List.of("says", "say", "said", "many", "who", "wrote").contains(w)).toList()));
        java.util.Random random = new java.util.Random(20261202L);
        java.util.function.IntFunction<String> pick = k -> String.join(" ",
                java.util.stream.IntStream.range(0, k).mapToObj(i -> words.get(random.nextInt(words.size()))).toList());
        List<Question> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String who = pick.apply(2);
            String other = pick.apply(1 + random.nextInt(6)) + ".";
            Question q = switch (i % 3) {
                case 0 -> new Question("What does the " + who + " say?", "In the story the " + who + " says: '"
                        + pick.apply(1 + random.nextInt(4)) + "' to the " + pick.apply(2) + ". " + other);
                case 1 -> new Question("How many " + pick.apply(1) + " does the " + who + " have?",
                        "The " + who + " has " + (2 + random.nextInt(500)) + " of them. " + other);
                default -> new Question("Who wrote " + who + "?", "The " + who + " by " + pick.apply(2) + ". " + other);
            };
            out.add(i % 2 == 0 ? q : new Question(q.question().replace("?", ""), other + " " + q.context()));
        }
        return out;
    }

    /** Answers every question with both models and compares answers and logits. */
    public static Result compare(QaModel fp32, QaModel reduced, List<Question> questions) {
        int agreed = 0;
        double maxDifference = 0;
        List<String> differing = new ArrayList<>();
        for (Question q : questions) {
            QaCodec.Encoded enc = fp32.codec().encode(q.question(), q.context());
            float[][][] a = fp32.logits(enc);
            float[][][] b = reduced.logits(enc);
            for (int kind = 0; kind < 2; kind++) {
                for (int i = 0; i < enc.ids().length; i++) {
                    if (enc.attentionMask()[i] != 0) {
                        maxDifference = Math.max(maxDifference, Math.abs(a[kind][0][i] - b[kind][0][i]));
                    }
                }
            }
            String want = fp32.codec().decode(QaCodec.span(a[0][0], a[1][0], enc).ids());
            String got = reduced.codec().decode(QaCodec.span(b[0][0], b[1][0], enc).ids());
            if (want.equals(got)) {
                agreed++;
            } else {
                differing.add(q.question() + ": " + want + " | " + got);
            }
        }
        return new Result(agreed, questions.size(), maxDifference, differing);
    }

    /**
     * Loads the fp32 and the reduced-precision model on the configured processor, compares them on
     * models/questions.json, prints the result, and fails (or warns) below the threshold.
     */
    public static Result run(Config config, Path fp32Model, Path reducedModel, Path tokenizer) {
        String precision = config.get("precision");
        List<Question> questions = questions(Artifacts.sourceRoot().resolve(QUESTIONS));
        Console.step("Checking %s against fp32 on %d questions (%s) and %d generated ...", precision, questions.size(), QUESTIONS,
                GENERATED);
        try (QaModel fp32 = QaModel.load(spec(config, fp32Model, tokenizer), 1);
             QaModel reduced = QaModel.load(spec(config, reducedModel, tokenizer), 1)) {
            Result r = report(config, compare(fp32, reduced, questions), "", QUESTIONS);
            report(config, compare(fp32, reduced, generated(questions, GENERATED)), " on " + GENERATED + " generated questions",
                    GENERATED + " generated questions");
            return r;
        } catch (ModelException e) {
            throw CliError.failed(e.getMessage(), e);
        }
    }

    /** Prints one comparison; fails (or warns) below precision_min_agreement. */
    private static Result report(Config config, Result r, String on, String set) {
        String precision = config.get("precision");
        for (String d : r.differing()) {
            Console.info("differs: %s", d);
        }
        double min = Double.parseDouble(config.get("precision_min_agreement"));
        Console.info("%s answer agreement with fp32%s: %s (%d of %d), largest logit difference %s",
                precision, on, percent(r.agreementPercent()), r.agreed(), r.total(),
                String.format(Locale.ROOT, "%.4f", r.maxLogitDifference()));
        if (r.agreementPercent() < min) {
            String message = precision + " agrees with fp32 on " + percent(r.agreementPercent()) + " of " + set
                    + ", below precision_min_agreement=" + config.get("precision_min_agreement");
            if (config.get("precision_check").equals("warn")) {
                Console.warn("%s", message);
            } else {
                throw CliError.failed(message + " (precision_check=warn keeps the model anyway)");
            }
        }
        return r;
    }

    private static ModelSpec spec(Config config, Path model, Path tokenizer) {
        // one thread: the check runs once, next to whatever else the machine does
        return new ModelSpec(model, tokenizer, config.processor(), config.getInt("sequence_length"),
                config.getInt("batch_size"), 1, 1, null);
    }

    static String percent(double value) {
        return String.format(Locale.ROOT, "%.1f%%", value);
    }
}
