package lib.model;

// DJL's version is written here only: its BOM sets the version of every DJL artifact declared without one
//DEPS ai.djl:bom:0.36.0@pom
//DEPS ai.djl:api ai.djl.pytorch:pytorch-engine ai.djl.pytorch:pytorch-jni
//SOURCES ModelException.java ModelSpec.java

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Starts DJL's PyTorch engine for a {@link ModelSpec}.
 *
 * <p>The native PyTorch library comes from {@code ai.djl.pytorch:pytorch-native-cpu} (or a CUDA
 * flavour) on the caller's classpath; DJL extracts it to ~/.djl.ai on first use. Nothing is
 * downloaded: {@code ai.djl.offline} is set to true unless the caller already set it.
 *
 * <p>Engine settings are process-wide and read by DJL when the engine starts, so the first model
 * loaded in a JVM decides them: {@code ai.djl.pytorch.num_threads} (intra-op threads),
 * {@code ai.djl.pytorch.num_interop_threads} (inter-op threads) and, for inf1/inf2,
 * {@code PYTORCH_EXTRA_LIBRARY_PATH} (the Neuron custom-op library, loaded right after libtorch).
 * A later model with other intra-op threads resets them; inter-op threads cannot change after the
 * first forward (PyTorch's rule).
 */
public final class TorchEngine {
    public static final String NAME = "PyTorch";
    static final String OFFLINE = "ai.djl.offline";
    static final String INTRA_OP_THREADS = "ai.djl.pytorch.num_threads";
    static final String INTER_OP_THREADS = "ai.djl.pytorch.num_interop_threads";
    static final String EXTRA_LIBRARY_PATH = "PYTORCH_EXTRA_LIBRARY_PATH";

    private TorchEngine() {
    }

    /** DJL warns about a CUDA driver on every machine without a GPU, and about plain .pt paths: both expected here. */
    public static void quietWarnings() {
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error");
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl.repository.SimpleRepository", "error");
    }

    /**
     * Sets DJL's engine properties from the spec and starts the PyTorch engine (once per JVM);
     * returns the device to load on.
     */
    public static synchronized Device start(ModelSpec spec) {
        quietWarnings();
        if (System.getProperty(OFFLINE) == null) {
            System.setProperty(OFFLINE, "true");
        }
        if (spec.intraOpThreads() > 0) {
            System.setProperty(INTRA_OP_THREADS, Integer.toString(spec.intraOpThreads()));
        }
        if (spec.interOpThreads() > 0) {
            System.setProperty(INTER_OP_THREADS, Integer.toString(spec.interOpThreads()));
        }
        Path neuron = spec.neuronLibrary();
        if (spec.neuron()) {
            if (neuron != null) {
                if (!Files.isRegularFile(neuron)) {
                    throw new ModelException("processor=" + spec.processor() + ": Neuron library not found: "
                            + neuron.toAbsolutePath());
                }
                System.setProperty(EXTRA_LIBRARY_PATH, neuron.toAbsolutePath().toString());
            } else if (System.getenv(EXTRA_LIBRARY_PATH) == null && System.getProperty(EXTRA_LIBRARY_PATH) == null) {
                throw new ModelException("processor=" + spec.processor() + " needs the Neuron library (libtorchneuron.so): "
                        + "give its path, or set " + EXTRA_LIBRARY_PATH);
            }
        }
        Engine engine;
        try {
            engine = Engine.getEngine(NAME);
        } catch (RuntimeException e) {
            throw new ModelException("cannot start the PyTorch engine (it needs ai.djl.pytorch:pytorch-native-cpu or a CUDA "
                    + "flavour on the classpath, or an extracted copy in ~/.djl.ai): " + rootMessage(e), e);
        }
        // the properties only count when the engine starts; a model loaded later in the same JVM
        // still gets its intra-op threads, and its Neuron library (System.load ignores a repeat)
        if (spec.intraOpThreads() > 0 && JniUtils.getNumThreads() != spec.intraOpThreads()) {
            JniUtils.setNumThreads(spec.intraOpThreads());
        }
        if (spec.neuron() && neuron != null) {
            System.load(neuron.toAbsolutePath().toString());
        }
        if (spec.processor().equals("gpu")) {
            if (engine.getGpuCount() < 1) {
                throw new ModelException("processor=gpu but PyTorch sees no CUDA GPU (no GPU or driver, or the classpath has "
                        + "pytorch-native-cpu instead of a CUDA flavour)");
            }
            return Device.gpu(0);
        }
        return Device.cpu();
    }

    /** The distinct first lines of an exception's causes, joined: what failed, without libtorch's stack traces. */
    static String rootMessage(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (m != null && !m.isBlank() && b.indexOf(m.strip()) < 0) {
                if (!b.isEmpty()) {
                    b.append(": ");
                }
                // libtorch messages carry a C++ stack trace after the first line
                b.append(m.strip().lines().findFirst().orElse(""));
            }
        }
        return b.isEmpty() ? e.getClass().getSimpleName() : b.toString();
    }
}
