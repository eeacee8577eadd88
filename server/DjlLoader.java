package server;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import lib.model.LoadedModel;
import lib.model.ModelSpec;

/**
 * Loads trace folders' models with DJL. Copies of a model share one loaded model, except on
 * inf1/inf2, where each copy is compiled for and loaded onto a NeuronCore of its own.
 */
final class DjlLoader {
    private DjlLoader() {
    }

    static ModelServer.Loader of(ServerSettings settings) {
        int threads = settings.intraOpThreads(ModelServer.cores());
        int bucket = settings.sequenceBucket();
        int warmBatch = settings.batching().maxBatchSize();
        boolean neuron = settings.processor().startsWith("inf");
        return new ModelServer.Loader() {
            @Override
            public ServedModel load(ModelSource source, int copy) {
                ModelSpec spec = ModelSpec.ofTrace(source.dir(), settings.processor(), threads, 1, settings.neuronLibraryPath());
                // what trace found about other lengths (dynamic_length); an older folder is checked as it loads
                LoadedModel.Lengths lengths = LoadedModel.Lengths.of(ModelSpec.metadata(source.dir()));
                LoadedModel model = LoadedModel.load(spec, bucket, lengths);
                model.warmUp(warmBatch);
                return ServedModel.of(model);
            }

            @Override
            public boolean sharedWeights() {
                return !neuron;
            }

            /** The TorchScript file's size (once per copy on inf1/inf2): what its weights take in memory. */
            @Override
            public long bytes(ModelSource source) {
                try {
                    long file = Files.size(source.dir().resolve(String.valueOf(ModelSpec.metadata(source.dir()).get("file"))));
                    return neuron ? file * source.copies() : file;
                } catch (IOException e) {
                    throw new ServerSettings.BadSetting("model " + source.name() + ": cannot read its model file in " + source.dir()
                            + ": " + e.getMessage());
                }
            }

            @Override
            public Map<String, Object> metadata(ModelSource source) {
                return ModelSpec.metadata(source.dir());
            }
        };
    }
}
