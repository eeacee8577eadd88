package support;

import org.junit.jupiter.api.Assumptions;

/**
 * PyTorch for Python, which trace needs to convert a model to bf16 or int8 (models/convert.py): as
 * root, Debian's python3-torch is installed when no Python imports torch. Not root: the tests are
 * skipped with the reason printed, unless CI=true, where they fail.
 */
public final class PythonTorch {
    private static boolean ready;

    private PythonTorch() {
    }

    static boolean importsTorch() {
        return python() != null;
    }

    /** python3 from the PATH when it imports torch, else /usr/bin/python3 when it does (as trace looks), else null. */
    public static String python() {
        for (String python : new String[] {"python3", "/usr/bin/python3"}) {
            if (DockerEngine.run(120, python, "-c", "import torch").ok()) {
                return python;
            }
        }
        return null;
    }

    public static synchronized void ensure() {
        if (ready) {
            return;
        }
        if (!importsTorch()) {
            if (!DockerEngine.run(10, "id", "-u").output().strip().equals("0")) {
                String reason = "converting to bf16/int8 needs PyTorch for Python (apt-get install -y python3-torch), "
                        + "and only root may install it";
                if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                    throw new AssertionError(reason + ", and CI=true requires these tests to run");
                }
                System.out.println("SKIPPED: " + reason);
                Assumptions.abort(reason);
            }
            DockerEngine.Out update = DockerEngine.run(300, "apt-get", "update", "-qq");
            DockerEngine.Out install = DockerEngine.run(900, "sh", "-c",
                    "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch");
            if (!install.ok() || !importsTorch()) {
                throw new AssertionError("cannot install python3-torch:\n" + update.output() + install.output());
            }
        }
        ready = true;
    }
}
