package lib.store;

//SOURCES Blobs.java ModelStores.java S3Blobs.java StoreException.java StoreIndex.java ../cli/CliError.java ../config/Config.java

import lib.cli.CliError;
import lib.config.Config;

/**
 * The model store as the steps see it through config.properties: whether one is set, and opening
 * it. Store failures become one-line CliErrors (exit 2 for bad input, 1 otherwise).
 */
public final class StoreConfig {
    /** The Kubernetes service account of servers that read the store (provision maps it to the reader role). */
    public static final String SERVICE_ACCOUNT = "model-store-reader";

    private StoreConfig() {
    }

    /**
     * provision: whether the bucket of an s3:// model_store must be created (it does not exist);
     * false for a folder store or an existing bucket.
     */
    public static boolean bucketMissing(Config config) {
        if (!ModelStores.isS3(config.get("model_store"))) {
            return false;
        }
        try (Blobs blobs = open(config)) {
            blobs.probe();
            return false;
        } catch (StoreException e) {
            if (e.kind() == StoreException.Kind.MISSING) {
                return true;
            }
            throw error(e);
        }
    }

    /**
     * remove: deletes every object of the s3:// model_store's bucket (all prefixes), then the
     * bucket; returns how many objects went. Only for a bucket provision created.
     */
    public static long deleteBucket(Config config) {
        try (Blobs blobs = open(config)) {
            if (!(blobs instanceof S3Blobs s3)) {
                throw CliError.badInput("model_store=" + config.get("model_store") + " is not an S3 bucket");
            }
            return s3.deleteBucket();
        } catch (StoreException e) {
            throw error(e);
        }
    }

    public static boolean enabled(Config config) {
        return !config.get("model_store").isBlank();
    }

    /** Opens the configured store (credentials: the SDK's default chain; region: config's). */
    public static Blobs open(Config config) {
        try {
            return ModelStores.open(config.get("model_store"), config.get("s3_endpoint"), config.get("region"));
        } catch (StoreException e) {
            throw error(e);
        }
    }

    public static CliError error(StoreException e) {
        return e.kind() == StoreException.Kind.BAD_INPUT ? CliError.badInput(e.getMessage()) : CliError.failed(e.getMessage());
    }
}
