package lib.store;

//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.4 software.amazon.awssdk:s3:2.57.8
//SOURCES Blobs.java FolderBlobs.java Manifest.java ModelCache.java ModelPuller.java Publisher.java S3Blobs.java StoreException.java
//SOURCES StoreIndex.java StoreLocation.java StoreNames.java

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * The model store's entry point (its //SOURCES bring the whole package but StoreConfig): opens the store a model_store value names (config key, or the
 * servers' MODEL_STORE), S3 or a folder. The rest of lib.store works on what it returns.
 */
public final class ModelStores {
    private ModelStores() {
    }

    /** Opens a store with the SDK's default credentials chain; region empty = AWS_REGION / the profile's. */
    public static Blobs open(String modelStore, String endpoint, String region) {
        return open(modelStore, endpoint, region, null);
    }

    /** As above with the given credentials (tests against a local S3-compatible server). */
    public static Blobs open(String modelStore, String endpoint, String region, AwsCredentialsProvider credentials) {
        if (modelStore == null || modelStore.isBlank()) {
            throw new StoreException(StoreException.Kind.BAD_INPUT, "no model store is set (model_store)");
        }
        String problem = StoreLocation.endpointProblem(endpoint == null ? "" : endpoint);
        if (problem != null) {
            throw new StoreException(StoreException.Kind.BAD_INPUT, problem);
        }
        return switch (StoreLocation.parse(modelStore)) {
            case StoreLocation.S3 s3 -> new S3Blobs(s3, endpoint, region, credentials);
            case StoreLocation.Folder folder -> new FolderBlobs(folder.path());
        };
    }

    /** Why a model_store value is not a store, in one line; null when it is one or empty. */
    public static String problem(String modelStore) {
        return StoreLocation.problem(modelStore);
    }

    /** Why an s3_endpoint value is not an endpoint URL, in one line; null when it is one or empty. */
    public static String endpointProblem(String endpoint) {
        return StoreLocation.endpointProblem(endpoint);
    }

    /**
     * A folder store is created by its first publish (a bucket must exist: provision makes it);
     * returns the value unchanged.
     */
    public static String createFolder(String modelStore) {
        if (StoreLocation.parse(modelStore) instanceof StoreLocation.Folder folder) {
            try {
                java.nio.file.Files.createDirectories(folder.path());
            } catch (java.io.IOException e) {
                throw new StoreException(StoreException.Kind.FORBIDDEN, "cannot create the store folder " + folder.path() + ": " + e.getMessage());
            }
        }
        return modelStore;
    }

    /** Whether a model_store value names an S3 bucket (not a folder). */
    public static boolean isS3(String modelStore) {
        return modelStore != null && modelStore.strip().startsWith("s3://");
    }
}
