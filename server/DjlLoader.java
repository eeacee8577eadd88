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

    static ModelLoader of(ServerSettings settings) {
        int threads = settings.intraOpThreads(Runtime.getRuntime().availableProcessors());
        int bucket = settings.models().sequenceBucket();
        int warmBatch = settings.batching().maxBatchSize();
        boolean neuron = settings.models().processor().startsWith("inf");
        return new ModelLoader() {
            @Override
            public ServedModel load(ModelFolder folder, int copy) {
                ModelSpec spec = ModelSpec.ofTrace(folder.dir(), settings.models().processor(), threads, 1, settings.models().neuronLibraryPath());
                // what trace found about other lengths (dynamic_length); an older folder is checked as it loads
                LoadedModel.Lengths lengths = LoadedModel.Lengths.of(ModelSpec.metadata(folder.dir()));
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
            public long bytes(ModelFolder folder) {
                try {
                    long file = Files.size(folder.dir().resolve(String.valueOf(ModelSpec.metadata(folder.dir()).get("file"))));
                    return neuron ? file * folder.copies() : file;
                } catch (IOException e) {
                    throw new ServerSettings.BadSetting("model " + folder.name() + ": cannot read its model file in " + folder.dir()
                            + ": " + e.getMessage());
                }
            }

            @Override
            public Map<String, Object> metadata(ModelFolder folder) {
                return ModelSpec.metadata(folder.dir());
            }
        };
    }
}
