package lib.image;

//SOURCES ../cli/Console.java ModelSet.java ../store/StoreConfig.java ../store/Publisher.java ../config/Names.java

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import lib.cli.CliError;
import lib.cli.Console;
import lib.config.Config;
import lib.config.Names;
import lib.store.Blobs;
import lib.store.Publisher;
import lib.store.StoreConfig;
import lib.store.StoreException;
import lib.store.ModelStores;

/** pack push: publishes each traced model (the model, then extra_models) to model_store. */
public final class StorePush {
    /** What trace writes beside the model file (lib.trace.Tracer.TOKENIZER). */
    static final String TOKENIZER = "tokenizer.json";

    private StorePush() {
    }

    public static List<Publisher.Published> push(Config config) {
        if (!StoreConfig.enabled(config)) {
            throw CliError.badInput("model_store is empty: set it to s3://bucket/prefix or a folder to push models to");
        }
        List<Config> models = new ArrayList<>(List.of(config));
        ModelSet.extras(config).forEach(e -> models.add(ModelSet.configOf(config, e)));
        List<Publisher.Published> done = new ArrayList<>();
        try {
            ModelStores.createFolder(config.get("model_store"));
        } catch (StoreException e) {
            throw StoreConfig.error(e);
        }
        try (Blobs blobs = StoreConfig.open(config)) {
            for (Config c : models) {
                Names names = new Names(c);
                Path dir = names.traceDir();
                String file = names.tracedModelFile();
                if (!Files.isRegularFile(dir.resolve(file)) || !Files.isRegularFile(dir.resolve(Pack.METADATA))) {
                    throw CliError.badInput("no traced model " + file + " in " + dir + ": run ./trace.java first");
                }
                Console.step("Pushing %s to %s ...", names.modelName(), blobs.describe());
                Publisher.Published p = Publisher.publish(blobs, names.modelName(), dir, file,
                        List.of(file, TOKENIZER, Pack.METADATA), c.get("precision"), c.processor());
                Console.info("%s: %s", p.entry().pinned(), p.filesUploaded() == 0 ? "unchanged, nothing uploaded"
                        : p.filesUploaded() + " files, " + p.bytesUploaded() + " bytes uploaded" + (p.indexWritten() ? ", index updated" : ""));
                done.add(p);
            }
        } catch (StoreException e) {
            throw StoreConfig.error(e);
        }
        return done;
    }
}
