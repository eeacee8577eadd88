package lib.model;

//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.4
//SOURCES ModelException.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What to load and how to run it.
 *
 * @param modelFile the TorchScript .pt file
 * @param tokenizer the Hugging Face tokenizer.json
 * @param processor cpu, gpu, graviton, inf1 or inf2: cpu/graviton run on the CPU, gpu on CUDA
 *     device 0, inf1/inf2 on the CPU device with the Neuron library loaded into the engine
 * @param sequenceLength tokens per input row (the model's traced length for inf1/inf2)
 * @param batchSize rows per forward: the encoded pair is repeated batchSize times, as the original
 *     did; the answer comes from the first row
 * @param intraOpThreads PyTorch intra-op threads; 0 or less leaves PyTorch's default
 * @param interOpThreads PyTorch inter-op threads; 0 or less leaves PyTorch's default
 * @param neuronLibrary the Neuron custom-op library (libtorchneuron.so) for inf1/inf2; may be null
 *     when PYTORCH_EXTRA_LIBRARY_PATH is already set in the environment
 */
public record ModelSpec(Path modelFile, Path tokenizer, String processor, int sequenceLength, int batchSize,
                        int intraOpThreads, int interOpThreads, Path neuronLibrary) {
    static final List<String> PROCESSORS = List.of("cpu", "gpu", "graviton", "inf1", "inf2");

    public ModelSpec {
        if (modelFile == null || tokenizer == null || processor == null) {
            throw new IllegalArgumentException("model file, tokenizer and processor are required");
        }
        processor = processor.strip().toLowerCase(Locale.ROOT);
        if (!PROCESSORS.contains(processor)) {
            throw new IllegalArgumentException("processor must be one of " + PROCESSORS + ", not '" + processor + "'");
        }
        if (sequenceLength < 3 || sequenceLength > 4096) {
            throw new IllegalArgumentException("sequence length must be within 3..4096, not " + sequenceLength);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, not " + batchSize);
        }
    }

    public boolean neuron() {
        return processor.startsWith("inf");
    }

    /** A trace folder's metadata.json; a folder without one is refused with the reason. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> metadata(Path traceDir) {
        Path file = traceDir.resolve("metadata.json");
        if (!Files.isRegularFile(file)) {
            throw new ModelException(traceDir + " has no metadata.json: it must be a folder written by ./trace.java");
        }
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readValue(file.toFile(), Map.class);
        } catch (IOException e) {
            throw new ModelException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * The spec of a trace folder (see {@link Tracer}): its files, sequence length and batch size from
     * metadata.json, for `processor` (empty: the one it was traced for). `neuron` is the Neuron
     * library or the folder that holds libtorchneuron.so; empty or null when not needed.
     */
    public static ModelSpec ofTrace(Path traceDir, String processor, int intraOpThreads, int interOpThreads, String neuron) {
        Map<String, Object> meta = metadata(traceDir);
        String p = processor == null || processor.isEmpty() ? String.valueOf(meta.getOrDefault("processor", "cpu")) : processor;
        Path library = null;
        if (p.startsWith("inf") && neuron != null && !neuron.isBlank()) {
            library = Path.of(neuron);
            library = Files.isDirectory(library) ? library.resolve("libtorchneuron.so") : library;
        }
        return new ModelSpec(traceDir.resolve(String.valueOf(meta.get("file"))),
                traceDir.resolve(String.valueOf(meta.getOrDefault("tokenizer", "tokenizer.json"))), p,
                ((Number) meta.getOrDefault("sequence_length", 128)).intValue(),
                ((Number) meta.getOrDefault("batch_size", 1)).intValue(), intraOpThreads, interOpThreads, library);
    }
}
