package server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** One distinct model the store holds (or may load) and its copies; the mutable fields are guarded by the store. */
final class DistinctModel {
    enum State { UNLOADED, LOADING, LOADED }

    final ModelFolder folder;
    final long bytes;
    final Map<String, Object> metadata;
    final List<ModelCopy> copies = new ArrayList<>();
    final List<ServedModel> loaded = new ArrayList<>();
    /** Written under the store's lock; read without it on the request path when there is no budget. */
    volatile State state = State.UNLOADED;
    CompletableFuture<Void> loading;
    int inUse;
    long lastUsed;
    double loadSeconds;
    String failure;
    /** The last load failed for this model alone (its store copy is missing, forbidden or corrupt): the others serve on. */
    boolean failedAlone;

    DistinctModel(ModelFolder folder, long bytes, Map<String, Object> metadata) {
        this.folder = folder;
        this.bytes = bytes;
        this.metadata = metadata;
    }

    String name() {
        return folder.name();
    }

    /** Detaches the copies and closes what was loaded (an unload, a failed load, shutdown). */
    void unloadCopies() {
        copies.forEach(ModelCopy::detach);
        loaded.forEach(ServedModel::close);
        loaded.clear();
    }
}
