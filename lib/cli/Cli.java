package lib.cli;

//DEPS info.picocli:picocli:4.7.7
// the scripts' libraries log through SLF4J 2 (the AWS SDK asks for 1.7, which finds no binding)
//DEPS org.slf4j:slf4j-api:2.0.17 org.slf4j:slf4j-simple:2.0.17
//SOURCES CliError.java Console.java

import picocli.CommandLine;

/**
 * Runs a script's picocli command with the project's conventions: errors as one line, exit codes
 * 0 (done), 1 (the step failed), 2 (bad input), 3 (not available for this runtime or processor).
 */
public final class Cli {
    private Cli() {
    }

    public static int run(Object command, String... args) {
        // libraries (DJL, fabric8, the AWS SDK) log through SLF4J; the scripts speak for themselves
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getenv("JDO_DEBUG") != null ? "debug" : "warn");
        CommandLine cl = new CommandLine(command);
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            if (ex instanceof CliError e) {
                Console.error(e.getMessage());
                if (e.getCause() != null && debug()) {
                    Console.stackTrace(e.getCause());
                }
                return e.exitCode();
            }
            Console.error(ex.getClass().getSimpleName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage())
                    + (debug() ? "" : " (set JDO_DEBUG=1 for the stack trace)"));
            if (debug()) {
                Console.stackTrace(ex);
            }
            return CliError.FAILED;
        });
        cl.setParameterExceptionHandler((ex, argv) -> {
            Console.error(ex.getMessage() + " (see: " + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help)");
            return CliError.BAD_INPUT;
        });
        return cl.execute(args);
    }

    private static boolean debug() {
        return System.getenv("JDO_DEBUG") != null;
    }
}
