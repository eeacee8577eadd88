package support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A local stand-in for AWS: real SDK clients talk to it over HTTP. It speaks both protocols the
 * project uses: the query protocol with XML answers (CloudFormation, STS; the operation is the
 * form's Action) and JSON 1.1 (ECR; the operation ends the X-Amz-Target header). Answers are queued
 * per operation; the last one of a queue repeats. Every request is recorded.
 */
public final class AwsStub implements AutoCloseable {
    /** One request as the stub saw it: form fields (query protocol) or the JSON body (ECR). */
    public record Request(String operation, Map<String, String> form, String body, Map<String, String> headers) {
        public String param(String name) {
            return form.get(name);
        }
    }

    private record Answer(int status, String contentType, String body) {
    }

    private final HttpServer server;
    private final Map<String, Deque<Answer>> answers = new HashMap<>();
    private final List<Request> requests = new ArrayList<>();

    public AwsStub() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** A query-protocol success: `inner` goes inside <op>Result, wrapped as AWS does. */
    public AwsStub query(String operation, String inner) {
        String xml = "<" + operation + "Response><" + operation + "Result>" + inner + "</" + operation + "Result>"
                + "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></" + operation + "Response>";
        return answer(operation, new Answer(200, "text/xml", xml));
    }

    /** A query-protocol error, e.g. ValidationError or Throttling. */
    public AwsStub queryError(String operation, int status, String code, String message) {
        String xml = "<ErrorResponse><Error><Type>Sender</Type><Code>" + code + "</Code><Message>" + escape(message)
                + "</Message></Error><RequestId>req-1</RequestId></ErrorResponse>";
        return answer(operation, new Answer(status, "text/xml", xml));
    }

    /** A JSON 1.1 answer (ECR). */
    public AwsStub json(String operation, String body) {
        return answer(operation, new Answer(200, "application/x-amz-json-1.1", body));
    }

    /** A JSON 1.1 error: the exception's name goes in __type. */
    public AwsStub jsonError(String operation, int status, String type, String message) {
        return answer(operation, new Answer(status, "application/x-amz-json-1.1",
                "{\"__type\":\"" + type + "\",\"message\":\"" + message + "\"}"));
    }

    private synchronized AwsStub answer(String operation, Answer answer) {
        answers.computeIfAbsent(operation, k -> new ArrayDeque<>()).add(answer);
        return this;
    }

    public synchronized List<Request> requests() {
        return List.copyOf(requests);
    }

    public synchronized List<Request> requests(String operation) {
        return requests.stream().filter(r -> r.operation().equals(operation)).toList();
    }

    /** The operations in the order they came. */
    public synchronized List<String> operations() {
        return requests.stream().map(Request::operation).toList();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Map<String, String> headers = new LinkedHashMap<>();
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), String.join(",", v)));
        String target = headers.get("x-amz-target");
        Map<String, String> form = target == null ? parseForm(body) : Map.of();
        String operation = target != null ? target.substring(target.lastIndexOf('.') + 1) : form.getOrDefault("Action", "?");
        Answer answer;
        synchronized (this) {
            requests.add(new Request(operation, form, body, headers));
            Deque<Answer> queue = answers.get(operation);
            answer = queue == null || queue.isEmpty() ? null : queue.size() > 1 ? queue.poll() : queue.peek();
        }
        if (answer == null) {
            answer = new Answer(500, "text/plain", "the stub has no answer for " + operation);
        }
        byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", answer.contentType());
        exchange.getResponseHeaders().add("x-amzn-RequestId", "req-1");
        exchange.sendResponseHeaders(answer.status(), bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private static Map<String, String> parseForm(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            form.put(key, value);
        }
        return form;
    }

    public static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
