package lib.trace;

//SOURCES ../model/Answer.java ../cli/CliError.java ../config/Config.java ../cli/Console.java ../model/ModelException.java ../model/ModelSpec.java ../model/QaCodec.java ../model/QaModel.java ../model/TorchEngine.java

import java.nio.file.Path;
import java.util.Arrays;
import lib.cli.CliError;
import lib.cli.Console;
import lib.config.Config;
import lib.model.Answer;
import lib.model.ModelException;
import lib.model.ModelSpec;
import lib.model.QaCodec;
import lib.model.QaModel;
import lib.model.TorchEngine;

/**
 * trace with test=True: loads the traced model on the configured processor, answers the
 * original's question and prints the answer and the forward latency. Like the original, it warns
 * when the device it finds differs from `processor`.
 */
public final class TraceCheck {
    private static final int TIMED_FORWARDS = 20;

    private TraceCheck() {
    }

    /** What this machine can run: gpu with CUDA, graviton on arm64, cpu otherwise. */
    public static String detectedProcessor(int gpus) {
        if (gpus > 0) {
            return "gpu";
        }
        return System.getProperty("os.arch").contains("aarch64") ? "graviton" : "cpu";
    }

    public static void run(Config config, Path traceDir) {
        String processor = config.processor();
        // one intra-op thread: with more, PyTorch's first forwards fight the JIT for the cores
        Console.step("Testing the traced model ...");
        try (QaModel model = QaModel.load(ModelSpec.ofTrace(traceDir, processor, 1, 1, config.get("neuron_library_path")), 1)) {
            ModelSpec spec = model.spec();
            String detected = detectedProcessor(ai.djl.engine.Engine.getEngine(TorchEngine.NAME).getGpuCount());
            if (!processor.startsWith("inf") && !detected.equals(processor)) {
                Console.warn("detected device_type (%s) does not match the configured processor (%s)", detected, processor);
            }
            model.warmUp();
            Answer answer = model.answer(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT, config.getBool("postprocess"));
            long[] nanos = new long[TIMED_FORWARDS];
            for (int i = 0; i < nanos.length; i++) {
                nanos[i] = model.answer(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT, true).forwardNanos();
            }
            Arrays.sort(nanos);
            Console.info("Question: %s", QaCodec.SAMPLE_QUESTION);
            Console.info("Model Answer: %s", answer.text());
            if (answer.startIndex() >= 0) {
                Console.info("answer span: tokens %d to %d%s", answer.startIndex(), answer.endIndex(),
                        answer.truncated() ? " (context truncated to sequence_length)" : "");
            }
            Console.info("forward latency: %.2f ms median, %.2f ms min of %d forwards (batch %d, sequence length %d)",
                    nanos[nanos.length / 2] / 1e6, nanos[0] / 1e6, nanos.length, spec.batchSize(), spec.sequenceLength());
        } catch (ModelException e) {
            throw CliError.failed(e.getMessage(), e);
        }
    }
}
