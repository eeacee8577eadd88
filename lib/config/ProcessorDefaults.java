package lib.config;

import java.util.Map;
import java.util.Optional;

/**
 * Values that follow `processor` unless the user sets them, so switching processor is one key:
 * the Kubernetes node type of the servers (the original's per-target configurations: c5 for cpu,
 * c7g for graviton, g4dn for gpu, inf1/inf2 sizes for Neuron). Also says when an instance type the
 * user chose cannot serve the processor.
 */
public final class ProcessorDefaults {
    /** instance_type per processor, used while instance_type is empty. */
    public static final Map<String, String> INSTANCE_TYPE = Map.of("cpu", "c5.4xlarge", "graviton", "c7g.4xlarge",
            "gpu", "g4dn.xlarge", "inf1", "inf1.xlarge", "inf2", "inf2.xlarge");

    private ProcessorDefaults() {
    }

    /** True for keys whose empty value means "the default of the processor". */
    public static boolean follows(String key) {
        return key.equals("instance_type");
    }

    /** The processor's default of a key that follows it. */
    public static Optional<String> of(String key, String processor) {
        return follows(key) ? Optional.ofNullable(INSTANCE_TYPE.get(processor)) : Optional.empty();
    }

    /** Why an EC2 instance type cannot serve a processor's image, or empty when it can (or is unknown). */
    public static Optional<String> instanceTypeProblem(String instanceType, String processor) {
        String family = instanceType.strip().toLowerCase().replaceFirst("\\..*$", "");
        boolean arm = family.equals("a1") || family.matches("[a-z]+\\d+g[a-z]*");
        boolean nvidia = !arm && family.matches("(p\\d+[a-z]*|g\\d+(dn|e|f)?|gr\\d+)");
        String what = "instance_type=" + instanceType + " ";
        return Optional.ofNullable(switch (processor) {
            case "gpu" -> nvidia ? null : what + "has no NVIDIA GPU" + (arm ? " and is arm64" : "")
                    + ": processor=gpu servers ask for nvidia.com/gpu and stay Pending (use e.g. g4dn.xlarge or g5.xlarge)";
            case "graviton" -> arm ? null : what + "is x86_64: processor=graviton images are arm64 (use e.g. c7g.4xlarge)";
            case "inf1" -> family.equals("inf1") ? null : what + "has no Inferentia1 device: processor=inf1 needs inf1.* (e.g. inf1.xlarge)";
            case "inf2" -> family.equals("inf2") || family.startsWith("trn") ? null
                    : what + "has no Neuron v2 device: processor=inf2 needs inf2.* or trn1.* (e.g. inf2.xlarge)";
            default -> arm ? what + "is arm64 (Graviton): processor=cpu images are x86_64 (use processor=graviton, or e.g. c5.4xlarge)" : null;
        });
    }
}
