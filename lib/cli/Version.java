package lib.cli;

//DEPS info.picocli:picocli:4.7.7

import picocli.CommandLine;

/** The project's version, shown by every script's --version. */
public final class Version implements CommandLine.IVersionProvider {
    public static final String VERSION = "0.1.0";

    @Override
    public String[] getVersion() {
        return new String[] {"jdo-inference " + VERSION + " (Java " + System.getProperty("java.version") + ")"};
    }
}
