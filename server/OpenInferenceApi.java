package server;

import io.javalin.config.RoutesConfig;

/** The Open Inference Protocol (KServe v2 REST) beside the original API. */
final class OpenInferenceApi {
    void routes(RoutesConfig routes) {
    }
}
