package lib.runtime;

//SOURCES ../cli/CliError.java ../config/Config.java ../cli/Console.java KubernetesRuntime.java ../config/Names.java

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import lib.cli.CliError;
import lib.cli.Console;
import lib.config.Config;
import lib.config.Names;

/**
 * The Kubernetes API as the runtime uses it, through one fabric8 client made on first use from
 * kube_context and the standard kubeconfig: calls whose failures (unreachable, forbidden, refused)
 * become one line, namespaces created when missing, server-side apply.
 */
final class KubeApi {
    private final Config config;
    private final Supplier<KubernetesClient> clients;
    private KubernetesClient client;

    KubeApi(Config config, Supplier<KubernetesClient> clients) {
        this.config = config;
        this.clients = clients;
    }

    static KubernetesClient connect(Config config) {
        String context = config.get("kube_context");
        String kubeconfig = System.getenv("KUBECONFIG");
        boolean hasFile = kubeconfig != null && !kubeconfig.isBlank()
                || java.nio.file.Files.isRegularFile(Path.of(System.getProperty("user.home"), ".kube", "config"));
        if (!hasFile && System.getenv("KUBERNETES_SERVICE_HOST") == null) {
            throw CliError.failed("no kubeconfig found (KUBECONFIG or ~/.kube/config) and not running in a cluster:"
                    + " for EKS run aws eks update-kubeconfig --name <cluster> --region " + config.get("region"));
        }
        io.fabric8.kubernetes.client.Config kube = io.fabric8.kubernetes.client.Config.autoConfigure(context.isEmpty() ? null : context);
        // fail within seconds when the API is unreachable, instead of retrying for minutes
        kube.setRequestRetryBackoffLimit(2);
        kube.setConnectionTimeout(5_000);
        return new KubernetesClientBuilder().withConfig(kube).build();
    }

    KubernetesClient client() {
        if (client == null) {
            client = clients.get();
        }
        return client;
    }

    String contextName() {
        String context = config.get("kube_context");
        return context.isEmpty() ? "the current kube context" : "kube context " + context;
    }

    /** Runs a call against the API; unreachable clusters and refusals become one line. */
    <T> T call(String what, Supplier<T> call) {
        try {
            return call.get();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) {
                throw CliError.failed(what + ": forbidden by the cluster (" + contextName() + "): " + firstLine(e.getMessage()));
            }
            if (e.getCode() <= 0 || ioCause(e)) {
                throw CliError.failed("cannot reach the Kubernetes API of " + contextName() + " (" + what + "): "
                        + firstLine(rootMessage(e)) + "; check your kubeconfig");
            }
            throw CliError.failed(what + " failed: " + firstLine(e.getMessage()));
        }
    }

    /** The API could not be reached at all (refused, unknown host, TLS, timeout). */
    private static boolean ioCause(Throwable e) {
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof java.io.IOException) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    void ensureNamespace(String namespace) {
        call("checking namespace " + namespace, () -> {
            if (client().namespaces().withName(namespace).get() == null) {
                Console.info("creating namespace %s", namespace);
                client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace)
                        .withLabels(Map.of(Names.MANAGED_BY_LABEL, Names.MANAGED_BY)).endMetadata().build()).create();
            }
            return null;
        });
    }

    /**
     * A pod's log as it stands, as `kubectl logs` reads it. Not through fabric8's getLog: that first
     * waits for the pod to be ready or finished through a list and a watch of it, two more API
     * calls per pod that a log of a crashed or finished pod does not need (and a watch opened and
     * closed at once has hung the fabric8 mock of the tests for seconds).
     */
    String podLog(String namespace, String pod) {
        return call("reading logs of " + pod, () -> {
            KubernetesClient c = client();
            io.fabric8.kubernetes.client.http.HttpClient http = c.getHttpClient();
            long timeoutMs = c.getConfiguration().getRequestTimeout();
            String url = c.getMasterUrl().toString().replaceFirst("/+$", "") + "/api/v1/namespaces/" + namespace + "/pods/" + pod + "/log";
            io.fabric8.kubernetes.client.http.HttpResponse<String> response;
            try {
                response = http.sendAsync(http.newHttpRequestBuilder().uri(url).timeout(timeoutMs, TimeUnit.MILLISECONDS).build(), String.class)
                        .get(timeoutMs + 5_000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KubernetesClientException("interrupted", e);
            } catch (ExecutionException | TimeoutException e) {
                Throwable cause = e instanceof ExecutionException ? e.getCause() : new java.io.IOException("no answer within " + timeoutMs + " ms", e);
                throw new KubernetesClientException(rootMessage(cause), cause);
            }
            if (!response.isSuccessful()) {
                throw new KubernetesClientException(statusMessage(response.body()), response.code(), null);
            }
            return response.body();
        });
    }

    /** The message of a Status the API answered with, or its body as it came. */
    private static String statusMessage(String body) {
        try {
            Status status = Serialization.unmarshal(body, Status.class);
            return status.getMessage() != null ? status.getMessage() : body;
        } catch (RuntimeException notStatus) {
            return body;
        }
    }

    /**
     * Server-side apply, as `kubectl apply --server-side` does; an API server that does not speak it
     * (the fabric8 mock of the tests) gets create-or-update instead.
     */
    void apply(HasMetadata object) {
        call("applying " + object.getKind() + " " + object.getMetadata().getName(), () -> {
            try {
                client().resource(object).patch(new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY)
                        .withFieldManager(KubernetesRuntime.FIELD_MANAGER).withForce(true).build());
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404 && e.getCode() != 415 && e.getCode() != 422 && e.getCode() != 400) {
                    throw e;
                }
                client().resource(object).createOr(existing -> existing.update());
            }
            return null;
        });
    }
}
