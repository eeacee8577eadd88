package lib;

import java.nio.file.Path;
import java.util.Arrays;

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
        QaModel.Spec spec = QaModel.spec(traceDir, processor, 1, Math.max(1, java.lang.Runtime.getRuntime().availableProcessors()),
                config.get("neuron_library_path"));
        Console.step("Testing the traced model ...");
        if (processor.startsWith("inf")) {
            Console.warn("the test runs on %s only where the Neuron runtime is installed (%s)", processor, spec.neuronLibraryPath());
        }
        try (QaModel model = QaModel.load(spec)) {
            String detected = detectedProcessor(ai.djl.engine.Engine.getEngine("PyTorch").getGpuCount());
            if (!processor.startsWith("inf") && !detected.equals(processor)) {
                Console.warn("detected device_type (%s) does not match the configured processor (%s)", detected, processor);
            }
            QaModel.Answer answer = model.answer(QaModel.QUESTION, QaModel.CONTEXT, config.getBool("postprocess"));
            for (int i = 0; i < 5; i++) {
                model.answer(QaModel.QUESTION, QaModel.CONTEXT, true); // TorchScript optimizes during its first runs
            }
            long[] nanos = new long[TIMED_FORWARDS];
            for (int i = 0; i < nanos.length; i++) {
                nanos[i] = model.answer(QaModel.QUESTION, QaModel.CONTEXT, true).forwardNanos();
            }
            Arrays.sort(nanos);
            Console.info("Question: %s", QaModel.QUESTION);
            Console.info("Model Answer: %s", answer.text());
            Console.info("answer span: tokens %d to %d%s", answer.start(), answer.end(), answer.truncated() ? " (context truncated to sequence_length)" : "");
            Console.info("forward latency: %.2f ms median, %.2f ms min of %d forwards (batch %d, sequence length %d)",
                    nanos[nanos.length / 2] / 1e6, nanos[0] / 1e6, nanos.length, spec.batchSize(), spec.sequenceLength());
        } catch (java.io.IOException e) {
            throw CliError.failed(e.getMessage());
        } catch (Exception e) {
            throw CliError.failed("the traced model failed its test: " + e.getMessage(), e);
        }
    }
}
