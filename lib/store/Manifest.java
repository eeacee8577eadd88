package lib.store;

//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.4
//SOURCES StoreException.java StoreNames.java

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What one version of a model holds (`<name>/<version>/manifest.json`): each file with its size
 * and SHA-256. A pull checks every byte against it; a name in it that could escape is refused.
 */
public record Manifest(String name, String version, List<File> files) {
    public static final String FILE = "manifest.json";
    static final ObjectMapper JSON = new ObjectMapper();

    public record File(String name, long size, String sha256) {
    }

    public Manifest {
        StoreNames.name(name);
        StoreNames.version(version);
        files = List.copyOf(files);
        for (File f : files) {
            StoreNames.file(f.name());
            if (f.name().equals(FILE)) {
                throw new StoreException(StoreException.Kind.BAD_INPUT, "a model file may not be named " + FILE);
            }
        }
    }

    /** The bytes of all files: what the model takes on disk. */
    public long size() {
        return files.stream().mapToLong(File::size).sum();
    }

    /** The manifest of files in a folder, versioned by the first 12 hex digits of the model file's SHA-256. */
    public static Manifest of(String name, Path folder, String modelFile, List<String> fileNames) {
        List<File> files = new ArrayList<>();
        String version = null;
        for (String f : fileNames) {
            Path p = folder.resolve(StoreNames.file(f));
            String sha = sha256(p);
            try {
                files.add(new File(f, Files.size(p), sha));
            } catch (IOException e) {
                throw new StoreException(StoreException.Kind.BAD_INPUT, "cannot read " + p + ": " + e.getMessage());
            }
            if (f.equals(modelFile)) {
                version = sha.substring(0, 12);
            }
        }
        if (version == null) {
            throw new StoreException(StoreException.Kind.BAD_INPUT, "the model file " + modelFile + " is not among " + fileNames);
        }
        return new Manifest(name, version, files);
    }

    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.BAD_INPUT, "cannot read " + file + ": " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode().put("name", name).put("version", version);
        ArrayNode list = root.putArray("files");
        for (File f : files) {
            list.addObject().put("name", f.name()).put("size", f.size()).put("sha256", f.sha256());
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses a manifest; one that does not parse or names what it may not is CORRUPT, naming where it came from. */
    public static Manifest parse(byte[] json, String where) {
        try {
            JsonNode root = JSON.readTree(new String(json, StandardCharsets.UTF_8));
            List<File> files = new ArrayList<>();
            for (JsonNode f : root.path("files")) {
                String sha = f.path("sha256").asText("");
                if (!sha.matches("[0-9a-f]{64}") || !f.path("size").canConvertToLong() || f.path("size").asLong() < 0) {
                    throw new StoreException(StoreException.Kind.CORRUPT, where + ": file entry " + f + " needs a size and a SHA-256");
                }
                files.add(new File(f.path("name").asText(null), f.path("size").asLong(), sha));
            }
            if (files.isEmpty()) {
                throw new StoreException(StoreException.Kind.CORRUPT, where + " lists no files");
            }
            return new Manifest(root.path("name").asText(null), root.path("version").asText(null), files);
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.CORRUPT, where + " is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        } catch (StoreException e) {
            throw e.kind() == StoreException.Kind.BAD_INPUT ? new StoreException(StoreException.Kind.CORRUPT, where + ": " + e.getMessage()) : e;
        }
    }
}
