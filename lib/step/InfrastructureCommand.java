package lib.step;

//SOURCES StepCommand.java ../cli/CliError.java ../config/ConfigKeys.java

import lib.cli.CliError;
import lib.config.ConfigKeys;
import picocli.CommandLine.Parameters;

/** provision and remove: they act on the runtime named on the command line, or on config's. */
public abstract class InfrastructureCommand extends StepCommand {
    @Parameters(paramLabel = "RUNTIME", arity = "0..1", description = "local, docker or kubernetes (default: the runtime key)")
    String runtime;

    /** The runtime to act on; one that does not exist is bad input. */
    protected String target() {
        String target = runtime == null ? config().runtime() : runtime;
        if (!ConfigKeys.RUNTIMES.contains(target)) {
            throw CliError.badInput("unknown runtime '" + target + "': use one of " + String.join(", ", ConfigKeys.RUNTIMES));
        }
        return target;
    }
}
