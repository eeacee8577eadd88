package lib.model;

// both architectures, so that pack can give a server jar either (see nativeJar)
//DEPS ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64 ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-aarch64
//SOURCES ../cli/CliError.java ../config/ConfigKeys.java

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Optional;
import java.util.Properties;
import lib.cli.CliError;
import lib.config.ConfigKeys;

/**
 * Which PyTorch native pieces each processor's server uses, decided here and nowhere else: the
 * CPU architecture (DJL's classifier and the container platform), DJL's flavour, the JNI library
 * inside {@code ai.djl.pytorch:pytorch-jni}, and the native library the server jar carries
 * ({@code pytorch-native-cpu} of that architecture) or, for gpu, none: the gpu base image holds the
 * CUDA build of libtorch at {@code PYTORCH_LIBRARY_PATH}.
 *
 * @param processor cpu, gpu, graviton, inf1 or inf2
 * @param classifier DJL's platform classifier: linux-x86_64 or linux-aarch64
 * @param flavor DJL's PyTorch flavour: cpu, or cu128 for gpu
 */
public record TorchNative(String processor, String classifier, String flavor) {
    /** The PyTorch release DJL's engine is built for; the base images pin the same torch. */
    public static final String PYTORCH_VERSION = "2.7.1";
    public static final String DJL_VERSION = "0.36.0";
    /** CUDA of the gpu flavour: DJL 0.36 ships its PyTorch 2.7.1 JNI for cu128. */
    public static final String CUDA_FLAVOR = "cu128";
    public static final String PROPERTIES = "native/lib/pytorch.properties";

    public static TorchNative of(String processor) {
        return switch (processor) {
            case "graviton" -> new TorchNative(processor, "linux-aarch64", "cpu");
            case "gpu" -> new TorchNative(processor, "linux-x86_64", CUDA_FLAVOR);
            case "cpu", "inf1", "inf2" -> new TorchNative(processor, "linux-x86_64", "cpu");
            default -> throw CliError.badInput("processor=" + processor + " is not one of " + String.join(", ", ConfigKeys.PROCESSORS));
        };
    }

    /** The container platform of this processor's images. */
    public String platform() {
        return classifier.endsWith("aarch64") ? "linux/arm64" : "linux/amd64";
    }

    /** Maven coordinates of the native library the server jar carries; empty for gpu (the image has libtorch). */
    public Optional<String> nativeArtifact() {
        return flavor.equals("cpu") ? Optional.of("ai.djl.pytorch:pytorch-native-cpu:" + PYTORCH_VERSION + ":" + classifier)
                : Optional.empty();
    }

    /** The JNI library's entry in the pytorch-jni jar that DJL loads for this processor. */
    public String jniEntry() {
        return "jnilib/" + classifier + "/" + flavor + "/libdjl_torch.so";
    }

    /** The classifier and flavour a native jar declares in its native/lib/pytorch.properties. */
    public static Optional<String[]> declared(InputStream properties) throws IOException {
        Properties p = new Properties();
        p.load(properties);
        String classifier = p.getProperty("classifier");
        String flavor = p.getProperty("flavor");
        return classifier == null || flavor == null ? Optional.empty() : Optional.of(new String[] {classifier, flavor});
    }

    /** Where a native jar keeps the libraries of a declared classifier and flavour. */
    public static String libraryFolder(String[] declared) {
        return "pytorch/" + declared[1] + "/" + declared[0];
    }

    /** True when a jar's pytorch.properties declares this processor's classifier and flavour. */
    public boolean matches(String[] declared) {
        return declared[0].equals(classifier) && declared[1].equals(flavor);
    }

    /**
     * This processor's pytorch-native-cpu jar, found on the class path (the scripts declare both
     * architectures, so JBang or Maven resolved them); empty for gpu.
     */
    public Optional<Path> nativeJar() {
        if (nativeArtifact().isEmpty()) {
            return Optional.empty();
        }
        try {
            Enumeration<URL> urls = TorchNative.class.getClassLoader().getResources(PROPERTIES);
            while (urls.hasMoreElements()) {
                URL url = urls.nextElement();
                if (!url.getProtocol().equals("jar")) {
                    continue;
                }
                JarURLConnection jar = (JarURLConnection) url.openConnection();
                jar.setUseCaches(false);
                try (InputStream in = jar.getInputStream()) {
                    Optional<String[]> d = declared(in);
                    if (d.isPresent() && matches(d.get())) {
                        return Optional.of(Path.of(jar.getJarFileURL().toURI()));
                    }
                }
            }
        } catch (IOException | java.net.URISyntaxException e) {
            throw CliError.failed("cannot look for " + nativeArtifact().get() + " on the class path: " + e.getMessage());
        }
        throw CliError.failed(nativeArtifact().get() + " is not on the class path; it is declared in lib/model/TorchNative.java");
    }
}
