package lib.config;

//SOURCES Artifacts.java ../cli/CliError.java Config.java ../cli/Console.java ../cli/Shell.java

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import lib.cli.CliError;
import lib.cli.Console;
import lib.cli.Shell;

/**
 * The `precision` of a traced model: fp32 (as traced), bf16 (bfloat16 weights and activations),
 * int8 (dynamically quantized Linear layers) or fp16 (float16 weights and activations, gpu only).
 * Which processors take which precision, the file name suffix, and the conversion of an fp32
 * TorchScript file through PyTorch in Python (models/convert.py). Inputs (int64 ids and mask) and outputs (float32 logits) stay the same in
 * every precision, so servers load and feed all of them alike.
 */
public final class Precision {
    public static final String FP32 = "fp32";
    public static final String BF16 = "bf16";
    public static final String INT8 = "int8";
    /** float16: GPUs only (PyTorch on CPUs runs it slowly, and before 2.x lacks float16 LayerNorm there). */
    public static final String FP16 = "fp16";
    public static final List<String> ALL = List.of(FP32, BF16, INT8, FP16);
    public static final String CONVERTER = "models/convert.py";
    static final String INSTALL = "install PyTorch for Python (Debian/Ubuntu: apt-get install -y python3-torch)";

    private Precision() {
    }

    /**
     * Refuses what a processor cannot run, in one line: the Neuron compilers (inf1, inf2) cast on
     * their own (their --auto-cast options, through trace_opts), and int8 dynamic quantization runs
     * on CPUs only.
     */
    public static void check(String precision, String processor) {
        if (precision.equals(FP32)) {
            return;
        }
        if (processor.startsWith("inf")) {
            throw CliError.unsupported("precision=" + precision + " is not available for processor=" + processor
                    + ": the Neuron compiler casts on its own (its auto-cast options); use precision=fp32");
        }
        if (precision.equals(INT8) && processor.equals("gpu")) {
            throw CliError.unsupported("precision=int8 runs on CPUs (processor cpu or graviton); on gpu use precision=bf16 or fp16");
        }
        if (precision.equals(FP16) && !processor.equals("gpu")) {
            throw CliError.unsupported("precision=fp16 runs on GPUs (processor gpu); on " + processor + " use precision=bf16 or int8");
        }
    }

    /** What the traced file's name ends with before ".pt": nothing for fp32, else "_bf16" or "_int8". */
    public static String suffix(String precision) {
        return precision.equals(FP32) ? "" : "_" + precision;
    }

    /**
     * Writes {@code out}, the fp32 TorchScript model in the given precision, with models/convert.py;
     * fails with one line when no Python with PyTorch is found or the model does not convert.
     */
    public static void convert(Config config, Path fp32Model, Path out, String precision) {
        String python = python(config);
        Path script = Artifacts.sourceRoot().resolve(CONVERTER);
        Console.step("Converting %s to %s with %s ...", fp32Model.getFileName(), precision, CONVERTER);
        Shell.Result r = new Shell(config.verbose()).capture(List.of(python, script.toString(), "--model", fp32Model.toString(),
                "--out", out.toString(), "--precision", precision, "--processor", config.processor()));
        List<String> lines = r.output().lines().filter(l -> !l.isBlank()).toList();
        if (!r.ok() || !Files.isRegularFile(out)) {
            String last = lines.isEmpty() ? "exit code " + r.exitCode() : lines.get(lines.size() - 1).strip();
            throw CliError.failed("precision=" + precision + ": " + last);
        }
        lines.stream().filter(l -> !l.contains("Warning") && !l.startsWith("  ")).forEach(l -> Console.info("%s", l));
    }

    /**
     * A Python that imports torch: `python3` on the PATH, else /usr/bin/python3 (where Debian's
     * python3-torch installs). One line naming what to install when there is none.
     */
    static String python(Config config) {
        Set<String> candidates = new LinkedHashSet<>();
        if (Shell.onPath("python3")) {
            candidates.add("python3");
        }
        if (Files.isExecutable(Path.of("/usr/bin/python3"))) {
            candidates.add("/usr/bin/python3");
        }
        List<String> tried = new ArrayList<>();
        for (String python : candidates) {
            if (new Shell(false).captureQuietly(List.of(python, "-c", "import torch"), null).ok()) {
                return python;
            }
            tried.add(python);
        }
        throw CliError.failed("precision=" + config.get("precision") + " converts the model with PyTorch, and "
                + (tried.isEmpty() ? "there is no python3" : "no Python here imports torch (" + String.join(", ", tried) + ")")
                + ": " + INSTALL + ", or use precision=fp32");
    }
}
