package lib.cli;

/**
 * An error meant for the user: printed as one line, never as a stack trace, and mapped to an exit
 * code that scripts can rely on (see {@link Cli}).
 */
public class CliError extends RuntimeException {
    /** The step failed (a server did not start, a build broke, ...). */
    public static final int FAILED = 1;
    /** Bad input: usage, configuration, arguments. */
    public static final int BAD_INPUT = 2;
    /** The step is not available for this runtime or processor (yet). */
    public static final int UNSUPPORTED = 3;

    private final int exitCode;

    public CliError(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CliError(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }

    public static CliError badInput(String message) {
        return new CliError(BAD_INPUT, message);
    }

    public static CliError failed(String message) {
        return new CliError(FAILED, message);
    }

    public static CliError failed(String message, Throwable cause) {
        return new CliError(FAILED, message, cause);
    }

    public static CliError unsupported(String message) {
        return new CliError(UNSUPPORTED, message);
    }
}
