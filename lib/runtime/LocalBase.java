package lib.runtime;

//SOURCES ../config/Artifacts.java ../cli/CliError.java ../config/Config.java ../cli/Console.java ../model/TorchEngine.java ../model/TorchNative.java

import ai.djl.engine.Engine;
import ai.djl.util.Utils;
import java.nio.file.Path;
import lib.cli.CliError;
import lib.cli.Console;
import lib.config.Artifacts;
import lib.config.Config;
import lib.model.TorchEngine;

/**
 * build with runtime=local: what a base image holds, prepared on this machine instead. The
 * server and client jars are exported (resolving every dependency, the engine's native library
 * included) and the native library is unpacked once, so servers start without resolving anything.
 * Both CPU architectures' native libraries are declared (in TorchNative), and
 * DJL picks this machine's, so graviton works locally on an arm64 machine.
 */
public final class LocalBase {
    private LocalBase() {
    }

    public static void prepare(Config config) {
        String processor = config.processor();
        boolean arm = System.getProperty("os.arch").contains("aarch64");
        if (!processor.equals("cpu") && !(processor.equals("graviton") && arm)) {
            throw CliError.unsupported("runtime=local runs on this machine's CPU" + (arm ? "" : " (x86_64)")
                    + ": processor=" + processor + " needs runtime=docker or kubernetes on a machine that has it");
        }
        Console.step("Preparing the local base for processor=%s ...", processor);
        Path server = Artifacts.serverJar(config);
        Path client = Artifacts.clientJar(config);
        System.setProperty("ai.djl.offline", "true");
        TorchEngine.quietWarnings();
        Engine engine = Engine.getEngine("PyTorch");
        Console.info("server jar:     %s", server);
        Console.info("client jar:     %s", client);
        Console.info("engine:         %s %s, native library in %s", engine.getEngineName(), engine.getVersion(),
                Utils.getEngineCacheDir("pytorch"));
    }
}
