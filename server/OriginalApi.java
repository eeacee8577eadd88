package server;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lib.model.Answer;

/**
 * The original's prediction route, /predictions/model<i> (and /predictions/<name>): the pair from
 * the query (GET) or a JSON or form body (POST), absent fields taking the original's defaults;
 * the answer as {@code {"detail": ..}}.
 */
final class OriginalApi {
    /** The original server's defaults, used when a request names no question or context. */
    static final String DEFAULT_QUESTION = "What does the little engine say";
    static final String DEFAULT_CONTEXT = "In the childrens story about the little engine a small locomotive is pulling a large load up a mountain.\n"
            + "    Since the load is heavy and the engine is small it is not sure whether it will be able to do the job. This is a story \n"
            + "    about how an optimistic attitude empowers everyone to achieve more. In the story the little engine says: 'I think I can' as it is \n"
            + "    pulling the heavy load all the way to the top of the mountain. On the way down it says: I thought I could.";

    private final Predictions predictions;
    private final ClosedPeers closedPeers;

    OriginalApi(Predictions predictions, ClosedPeers closedPeers) {
        this.predictions = predictions;
        this.closedPeers = closedPeers;
    }

    void predict(Context ctx) throws Exception {
        ModelCopy copy = predictions.copy(ctx.pathParam("model"));
        // metric labels name only copies the server has: any other path would add a series forever
        ctx.attribute(ErrorTable.MODEL_LABEL, copy.name);
        RefusalPacing.admit(ctx, () -> predictions.refusal(copy), () -> {
            Predictions.Pair pair = pair(ctx);
            return HttpApi.written(ctx, predictions.predict(copy, List.of(pair), closedPeers.connected(ctx)), answers -> write(ctx, answers.get(0)));
        });
    }

    private static void write(Context ctx, Answer answer) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("detail", answer.text());
        if (answer.truncated()) {
            body.put("truncated", true);
        }
        ServerStatus.json(ctx, 200, body);
    }

    /** seq_0 and seq_1 from the query (GET) or a JSON or form body (POST); absent ones take the defaults. */
    static Predictions.Pair pair(Context ctx) {
        String q;
        String c;
        if (ctx.method() == HandlerType.POST) {
            String text = utf8(ctx.bodyAsBytes());
            if (String.valueOf(ctx.contentType()).startsWith("application/x-www-form-urlencoded")) {
                q = ctx.formParam("seq_0");
                c = ctx.formParam("seq_1");
            } else if (text.isBlank()) {
                q = null;
                c = null;
            } else {
                JsonNode body;
                try {
                    body = ErrorTable.JSON.readTree(text);
                } catch (Exception e) {
                    throw ServerError.badRequest("the request body is not valid JSON");
                }
                if (!body.isObject()) {
                    throw ServerError.badRequest("the request body must be a JSON object with seq_0 and seq_1");
                }
                q = text(body, "seq_0");
                c = text(body, "seq_1");
            }
        } else {
            q = ctx.queryParam("seq_0");
            c = ctx.queryParam("seq_1");
        }
        if (q != null && q.isBlank()) {
            throw ServerError.badRequest("seq_0 (the question) is empty");
        }
        if (c != null && c.isBlank()) {
            throw ServerError.badRequest("seq_1 (the context) is empty");
        }
        return new Predictions.Pair(q == null ? DEFAULT_QUESTION : q, c == null ? DEFAULT_CONTEXT : c);
    }

    /** The body as text; a 400 when it is not UTF-8. */
    static String utf8(byte[] raw) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw ServerError.badRequest("the request body is not valid UTF-8");
        }
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ServerError.badRequest(field + " must be a string");
        }
        return v.asText();
    }
}
