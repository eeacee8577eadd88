package support;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A local stand-in for AWS: answers CloudFormation and STS (query protocol, XML) and ECR (JSON 1.1)
 * with answers queued per action (the last one repeats), and records every request. The SDK
 * reaches it through JDO_AWS_ENDPOINT; no request ever leaves this machine.
 */
public final class AwsStub implements AutoCloseable {
    public record Request(String action, Map<String, String> params, String body) {
    }

    public record Answer(int status, String contentType, String body, Map<String, String> headers) {
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, Deque<Answer>> answers = new ConcurrentHashMap<>();

    public AwsStub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            Map<String, String> params = target == null ? form(body) : Map.of();
            String action = target != null ? target.substring(target.indexOf('.') + 1) : params.getOrDefault("Action", "?");
            requests.add(new Request(action, params, body));
            Deque<Answer> queue = answers.get(action);
            Answer a = queue == null || queue.isEmpty() ? new Answer(500, "text/plain", "no answer for " + action, Map.of())
                    : queue.size() > 1 ? queue.poll() : queue.peek();
            byte[] bytes = a.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", a.contentType());
            a.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            exchange.sendResponseHeaders(a.status(), bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
    }

    /** Points the SDK at the stub, with test credentials and no instance metadata look-ups. */
    public AwsStub install() {
        System.setProperty("JDO_AWS_ENDPOINT", url());
        System.setProperty("aws.accessKeyId", "AKIDSTUBSTUBSTUB");
        System.setProperty("aws.secretAccessKey", "stub-secret");
        System.setProperty("aws.disableEc2Metadata", "true");
        return this;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The environment a script needs to use the stub. */
    public Map<String, String> env() {
        return Map.of("JDO_AWS_ENDPOINT", url(), "AWS_ACCESS_KEY_ID", "AKIDSTUBSTUBSTUB", "AWS_SECRET_ACCESS_KEY", "stub-secret",
                "AWS_EC2_METADATA_DISABLED", "true");
    }

    public AwsStub answer(String action, Answer... queue) {
        answers.put(action, new ArrayDeque<>(List.of(queue)));
        return this;
    }

    public List<Request> requests() {
        return requests;
    }

    public List<String> actions() {
        return requests.stream().map(Request::action).toList();
    }

    public List<Request> of(String action) {
        return requests.stream().filter(r -> r.action().equals(action)).toList();
    }

    public static Answer xml(String action, String result) {
        return new Answer(200, "text/xml", "<" + action + "Response><" + action + "Result>" + result + "</" + action + "Result>"
                + "<ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></" + action + "Response>", Map.of());
    }

    public static Answer xmlError(int status, String code, String message) {
        return new Answer(status, "text/xml", "<ErrorResponse><Error><Type>Sender</Type><Code>" + code + "</Code><Message>" + message
                + "</Message></Error><RequestId>stub</RequestId></ErrorResponse>", Map.of());
    }

    public static Answer json(String body) {
        return new Answer(200, "application/x-amz-json-1.1", body, Map.of());
    }

    public static Answer jsonError(int status, String type, String message) {
        return new Answer(status, "application/x-amz-json-1.1", "{\"__type\":\"" + type + "\",\"message\":\"" + message + "\"}",
                Map.of("x-amzn-ErrorType", type));
    }

    public static Answer stack(String name, String status) {
        return xml("DescribeStacks", "<Stacks><member><StackName>" + name + "</StackName><StackId>arn:aws:cloudformation:us-west-2:123456789012:stack/"
                + name + "/1</StackId><StackStatus>" + status + "</StackStatus><CreationTime>2026-11-25T00:00:00Z</CreationTime></member></Stacks>");
    }

    public static Answer noStack(String name) {
        return xmlError(400, "ValidationError", "Stack with id " + name + " does not exist");
    }

    private static Map<String, String> form(String body) {
        Map<String, String> params = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return params;
    }

    @Override
    public void close() {
        server.stop(0);
        for (String p : List.of("JDO_AWS_ENDPOINT", "aws.accessKeyId", "aws.secretAccessKey")) {
            System.clearProperty(p);
        }
    }
}
