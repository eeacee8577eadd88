package lib.runtime;

import java.util.Map;

/**
 * Where servers and load-test clients run: local processes, containers, or Kubernetes. Scripts
 * call these; each implementation does the same job with its own means. Server and client
 * indexes are 0-based, like the original's `<app_name>-<i>`, and already checked by the caller.
 */
public interface ServingRuntime {
    /** Starts num_servers servers and waits until they are ready; never starts duplicates. */
    void deployRun();

    /** Shows all servers, or one. */
    void deployStatus(Integer server);

    /** Shows (and follows) the logs of one server, or of all of them with a prefix per line. */
    void deployLogs(Integer server, boolean follow);

    /** Opens an interactive shell where server n runs. */
    void deployExec(int server);

    /** Stops everything deploy started; saying so and succeeding when nothing runs. */
    void deployStop();

    /** Starts num_test_containers clients running a test (seq, rnd, bmk), or idle clients (null). */
    void testRun(String test);

    void testStatus(Integer client);

    void testLogs(Integer client, boolean follow);

    void testExec(int client);

    void testStop();

    /** The output of every finished test client, by client name, for bma to aggregate. */
    Map<String, String> finishedTestOutputs();
}
