package lib.trace;

//DEPS ai.djl:api ai.djl.pytorch:pytorch-engine
//SOURCES ../model/ModelException.java ../model/ModelSpec.java ../model/TorchEngine.java Tracer.java

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lib.model.ModelException;
import lib.model.ModelSpec;
import lib.model.TorchEngine;

/**
 * Distinct models made from a traced one, for the many-models tests and the density benchmark:
 * a copy of the trace folder whose question-answering head (the module's last weight and bias) is
 * scaled by a factor. A factor near 1 keeps the answers and makes weights of their own (loaded
 * separately, as distinct models are); -1 makes a model that answers differently. Done with DJL's
 * libtorch, so no Python is needed; never a substitute for real models in the figures' meaning.
 */
public final class ModelVariants {
    private ModelVariants() {
    }

    /** Writes the variant trace folder {@code out} (model name {@code name}) of {@code traceDir}. */
    @SuppressWarnings("unchecked")
    public static Path write(Path traceDir, Path out, String name, float headScale) {
        Map<String, Object> meta = new LinkedHashMap<>(ModelSpec.metadata(traceDir));
        ModelSpec spec = ModelSpec.ofTrace(traceDir, "cpu", 0, 0, null);
        try {
            Files.createDirectories(out);
            Device device = TorchEngine.start(spec);
            try (Model model = Model.newInstance(name, device, TorchEngine.NAME)) {
                // trainParam: parameters that may be changed in place (loaded for inference they may not)
                model.load(spec.modelFile(), null, Map.of("trainParam", "true"));
                PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
                boolean grad = JniUtils.isGradMode();
                JniUtils.setGradMode(false);
                try {
                    List<Parameter> params = block.getParameters().values();
                    if (params.size() < 2) {
                        throw new ModelException(spec.modelFile() + " has no head to vary");
                    }
                    for (Parameter p : params.subList(params.size() - 2, params.size())) {
                        p.getArray().muli(headScale);
                    }
                } finally {
                    JniUtils.setGradMode(grad);
                }
                try (OutputStream os = Files.newOutputStream(out.resolve(spec.modelFile().getFileName()))) {
                    JniUtils.writeModule(block, os, false);
                }
            }
            Files.copy(spec.tokenizer(), out.resolve(spec.tokenizer().getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            meta.put("model", name);
            meta.put("sha256", Tracer.sha256(out.resolve(spec.modelFile().getFileName())));
            meta.put("source", "variant of " + traceDir.getFileName() + " (head x " + headScale + ")");
            Files.writeString(out.resolve("metadata.json"),
                    new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(meta));
            return out;
        } catch (IOException | ai.djl.MalformedModelException e) {
            throw new ModelException("cannot write variant " + out + ": " + e.getMessage(), e);
        }
    }
}
