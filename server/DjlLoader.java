package server;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import lib.LoadedModel;
import lib.Models;
import lib.QaCodec;

/**
 * Loads the trace folder's model with DJL. Copies share one loaded model, except on inf1/inf2,
 * where each copy is compiled for and loaded onto a NeuronCore of its own.
 */
final class DjlLoader {
    private DjlLoader() {
    }

    static ModelServer.Loader of(ServerSettings settings, Map<String, Object> metadata) {
        Models.Spec spec = Models.specOf(settings.modelDir(), settings.processor(), settings.intraOpThreads(ModelServer.cores()), 1,
                settings.neuronLibraryPath());
        // what trace found about other lengths (dynamic_length); an older folder is checked as it loads
        LoadedModel.Lengths lengths = LoadedModel.Lengths.of(metadata);
        int bucket = settings.sequenceBucket();
        int warmBatch = settings.batching().maxBatchSize();
        return new ModelServer.Loader() {
            @Override
            public ServedModel load(int copy) {
                ServedModel model = ServedModel.of(LoadedModel.load(spec, bucket, lengths));
                warmUp(model, warmBatch);
                return model;
            }

            @Override
            public boolean sharedWeights() {
                return !spec.neuron();
            }
        };
    }

    /**
     * Runs the sample pair a few times alone and twice as a full batch, so the first requests do
     * not pay for PyTorch's profiling executor (it profiles, then optimizes, per shape).
     */
    static void warmUp(ServedModel model, int batch) {
        try (ServedModel.Runner runner = model.newRunner()) {
            QaCodec.Encoded pair = model.encode(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT);
            for (int i = 0; i < 3; i++) {
                runner.answer(List.of(pair), true);
            }
            int rows = Math.min(batch, model.maxBatchRows());
            if (rows > 1) {
                runner.answer(Collections.nCopies(rows, pair), true);
                runner.answer(Collections.nCopies(rows, pair), true);
            }
        }
    }
}
