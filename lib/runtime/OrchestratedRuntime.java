package lib.runtime;

//SOURCES Orchestrator.java ServingRuntime.java ../config/Config.java

import lib.config.Config;

/**
 * A runtime that starts its servers and clients itself (local processes, containers): deploy and
 * test run and stop are the {@link Orchestrator}'s; the runtime supplies its mechanics.
 */
public abstract class OrchestratedRuntime implements ServingRuntime {
    protected final Config config;

    protected OrchestratedRuntime(Config config) {
        this.config = config;
    }

    abstract Orchestrator.Mechanics mechanics();

    private Orchestrator orchestrator() {
        return new Orchestrator(config, mechanics());
    }

    @Override
    public final void deployRun() {
        orchestrator().deployRun();
    }

    @Override
    public final void deployStop() {
        orchestrator().stop(true);
    }

    @Override
    public final void testRun(String test) {
        orchestrator().testRun(test);
    }

    @Override
    public final void testStop() {
        orchestrator().stop(false);
    }
}
