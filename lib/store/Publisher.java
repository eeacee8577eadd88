package lib.store;

//SOURCES Blobs.java Manifest.java StoreIndex.java StoreNames.java

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Publishes a traced model folder to a store: its files under `<name>/<version>/`, then the
 * manifest (so a version with a manifest is whole), then the model's entry merged into the index.
 * What the store already holds is not uploaded again.
 */
public final class Publisher {
    /** What a publish did: the index entry, and how many files and bytes went up. */
    public record Published(StoreIndex.Entry entry, int filesUploaded, long bytesUploaded, boolean indexWritten) {
    }

    private Publisher() {
    }

    /**
     * Publishes `files` of `folder` as model `name`; `modelFile` (one of them) sets the version.
     * The index is read, merged and written as one update (Blobs.update), so entries other
     * publishers write meanwhile stay.
     */
    public static Published publish(Blobs blobs, String name, Path folder, String modelFile, List<String> files,
                                    String precision, String processor) {
        Manifest manifest = Manifest.of(StoreNames.name(name), folder, modelFile, files);
        String base = Blobs.key(name, manifest.version());
        Optional<Manifest> stored = blobs.read(base + "/" + Manifest.FILE)
                .map(b -> Manifest.parse(b, base + "/" + Manifest.FILE + " in " + blobs.describe()));
        int uploaded = 0;
        long bytes = 0;
        if (stored.isEmpty() || !stored.get().equals(manifest)) {
            for (Manifest.File f : manifest.files()) {
                boolean same = stored.isPresent() && stored.get().files().contains(f);
                if (!same) {
                    blobs.write(base + "/" + f.name(), folder.resolve(f.name()));
                    uploaded++;
                    bytes += f.size();
                }
            }
            blobs.write(base + "/" + Manifest.FILE, manifest.toJson());
        }
        StoreIndex.Entry entry = new StoreIndex.Entry(name, manifest.version(), manifest.size(), precision, processor);
        String where = StoreIndex.FILE + " in " + blobs.describe();
        boolean write = blobs.update(StoreIndex.FILE, current -> {
            StoreIndex index = current.map(b -> StoreIndex.parse(b, where)).orElse(StoreIndex.empty());
            return index.find(name).equals(Optional.of(entry)) ? null : index.with(entry).toJson();
        });
        return new Published(entry, uploaded, bytes, write);
    }
}
