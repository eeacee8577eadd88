package lib.step;

//SOURCES ../config/Config.java ../runtime/Runtimes.java ../runtime/ServingRuntime.java StepCommand.java

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.ObjIntConsumer;
import lib.config.Config;
import lib.runtime.Runtimes;
import lib.runtime.ServingRuntime;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * The sub-commands deploy.java and test.java share for what they started, the servers or the
 * load-test clients: status, logs, exec and stop, written once for both fleets. They are added to
 * the script's picocli model, as picocli takes sub-command methods only from the command's own class
 * hierarchy (see ImageStepCommand), and listed among the script's own sub-commands by name.
 */
public final class FleetCommands {
    private FleetCommands() {
    }

    /** Logs of one member (null: all), followed or not. */
    interface Logs {
        void show(ServingRuntime runtime, Integer index, boolean follow);
    }

    /** What a script manages: its sub-commands' help, the check of an index and the runtime's calls. */
    public enum Fleet {
        SERVERS(new String[] {"Shows the servers, or only server N.", "Follows the logs of all servers (prefixed), or of server N.",
                "Opens a shell where server N runs.", "Stops and removes the servers."}, null,
                Runtimes::checkServer, ServingRuntime::deployStatus, ServingRuntime::deployLogs, ServingRuntime::deployExec,
                ServingRuntime::deployStop),
        CLIENTS(new String[] {"Shows the test clients, or only client N.", "Shows the logs of all test clients (prefixed), or of client N.",
                "Opens a shell in test client N (default 0).", "Stops and removes the test clients."}, "0",
                Runtimes::checkClient, ServingRuntime::testStatus, ServingRuntime::testLogs, ServingRuntime::testExec,
                ServingRuntime::testStop);

        private final String[] help;
        /** exec's N when none is given; null: N is required. */
        private final String execDefault;
        private final BiFunction<Config, Integer, Integer> check;
        private final BiConsumer<ServingRuntime, Integer> status;
        private final Logs logs;
        private final ObjIntConsumer<ServingRuntime> exec;
        private final Consumer<ServingRuntime> stop;

        Fleet(String[] help, String execDefault, BiFunction<Config, Integer, Integer> check, BiConsumer<ServingRuntime, Integer> status,
              Logs logs, ObjIntConsumer<ServingRuntime> exec, Consumer<ServingRuntime> stop) {
            this.help = help;
            this.execDefault = execDefault;
            this.check = check;
            this.status = status;
            this.logs = logs;
            this.exec = exec;
            this.stop = stop;
        }
    }

    /**
     * Adds the fleet's status, logs, exec and stop to the script (call it from the script's {@code @Spec}
     * method); afterStatus runs after status, with the checked index (null: all).
     */
    public static void add(StepCommand script, CommandSpec spec, Fleet fleet, Consumer<Integer> afterStatus) {
        PositionalParamSpec shown = index(Integer.class, "0..1", null);
        add(spec, "status", fleet.help[0], () -> {
            Integer index = fleet.check.apply(script.config(), shown.getValue());
            fleet.status.accept(Runtimes.of(script.config()), index);
            afterStatus.accept(index);
            return 0;
        }, shown);
        PositionalParamSpec logged = index(Integer.class, "0..1", null);
        OptionSpec noFollow = OptionSpec.builder("--no-follow").type(boolean.class).defaultValue("false")
                .description("Print what is there and exit").build();
        add(spec, "logs", fleet.help[1], () -> {
            Integer index = fleet.check.apply(script.config(), logged.getValue());
            fleet.logs.show(Runtimes.of(script.config()), index, !noFollow.<Boolean>getValue());
            return 0;
        }, noFollow, logged);
        PositionalParamSpec entered = index(int.class, fleet.execDefault == null ? "1" : "0..1", fleet.execDefault);
        add(spec, "exec", fleet.help[2], () -> {
            int index = fleet.check.apply(script.config(), entered.getValue());
            fleet.exec.accept(Runtimes.of(script.config()), index);
            return 0;
        }, entered);
        add(spec, "stop", fleet.help[3], () -> {
            fleet.stop.accept(Runtimes.of(script.config()));
            return 0;
        });
        // picocli lists a script's sub-command methods after help by name: these take their place among them
        spec.usageMessage().sectionMap().put(UsageMessageSpec.SECTION_KEY_COMMAND_LIST, help -> help.commandList(byName(help.subcommands())));
    }

    private static PositionalParamSpec index(Class<?> type, String arity, String defaultValue) {
        return PositionalParamSpec.builder().paramLabel("N").type(type).arity(arity).required(arity.equals("1")).defaultValue(defaultValue).build();
    }

    private static void add(CommandSpec script, String name, String description, Callable<Integer> body, ArgSpec... args) {
        CommandSpec command = CommandSpec.wrapWithoutInspection(body);
        command.usageMessage().description(description);
        for (ArgSpec arg : args) {
            command.add(arg);
        }
        script.addSubcommand(name, new CommandLine(command));
    }

    /** The sub-commands up to help as they are, the rest by name. */
    private static Map<String, Help> byName(Map<String, Help> commands) {
        List<String> names = new ArrayList<>(commands.keySet());
        int help = names.indexOf("help") + 1;
        names.subList(help, names.size()).sort(Comparator.naturalOrder());
        Map<String, Help> ordered = new LinkedHashMap<>();
        names.forEach(name -> ordered.put(name, commands.get(name)));
        return ordered;
    }
}
