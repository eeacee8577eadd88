package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import lib.model.LoadedModel;
import lib.model.Answer;
import lib.model.ModelSpec;
import lib.model.QaCodec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.TracedModel;

/**
 * The serving core on real loopback servers: shared weights, batching, admission control,
 * deadlines, health under saturation and the drain sequence. Where the real model cannot be slowed
 * on demand a gated model stands in: its forwards wait until the test opens the gate.
 */
class ServingCoreTest {
    @TempDir
    static Path dir;
    static Path modelDir;

    @BeforeAll
    static void model() throws Exception {
        modelDir = TracedModel.bundled(dir, Map.of());
    }

    static HttpResponse<String> get(ModelServer s, String path) throws Exception {
        return ModelServerTest.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static CompletableFuture<HttpResponse<String>> getAsync(ModelServer s, String path) {
        return ModelServerTest.HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A model whose forwards wait for the gate; it records which questions it computed. */
    static final class GatedModel implements ServedModel {
        final CountDownLatch gate = new CountDownLatch(1);
        final Semaphore started = new Semaphore(0);
        final ConcurrentLinkedQueue<String> computed = new ConcurrentLinkedQueue<>();
        /** Question -> the thread that computed it. */
        final Map<String, Thread> computedOn = new java.util.concurrent.ConcurrentHashMap<>();
        final long burnNanos;

        GatedModel(long burnNanos) {
            this.burnNanos = burnNanos;
        }

        @Override
        public QaCodec.Encoded encode(String question, String context) {
            long[] ids = question.chars().asLongStream().toArray();
            return new QaCodec.Encoded(ids, new long[ids.length], false);
        }

        @Override
        public Runner newRunner() {
            return (batch, postprocess) -> {
                started.release();
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                // a deliberately slow model: it keeps its core busy, as a real forward would
                long until = System.nanoTime() + burnNanos;
                double x = 0;
                while (System.nanoTime() < until) {
                    x += Math.sqrt(x + 1);
                }
                List<Answer> answers = new ArrayList<>();
                for (QaCodec.Encoded e : batch) {
                    String q = new String(e.ids().length == 0 ? new int[0]
                            : java.util.Arrays.stream(e.ids()).mapToInt(v -> (int) v).toArray(), 0, e.ids().length);
                    computed.add(q);
                    computedOn.put(q, Thread.currentThread());
                    answers.add(new Answer(q + (x < 0 ? "?" : ""), 0, 1, false, 0));
                }
                return answers;
            };
        }

        @Override
        public void close() {
        }
    }

    /** Waits (30 s at most) until model0's queue holds n requests. */
    static void awaitQueued(ModelServer s, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (s.store().copies().get(0).queue.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(n, s.store().copies().get(0).queue.size());
    }

    /**
     * Waits (30 s at most) until /metrics shows no prediction in flight: every accepted request,
     * answered, refused late or abandoned by its client, is let go of, or a drain would wait for it.
     */
    static void awaitNothingInFlight(ModelServer s) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String text;
        do {
            text = get(s, "/metrics").body();
        } while (!text.contains("\njdo_requests_in_flight 0.0\n") && System.nanoTime() < deadline && sleep(5));
        assertTrue(text.contains("\njdo_requests_in_flight 0.0\n"), text);
    }

    private static boolean sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
        return true;
    }

    /** Sends a question and waits until a worker is computing it (and holding its runner). */
    static CompletableFuture<HttpResponse<String>> computing(ModelServer s, GatedModel model, String question) throws Exception {
        CompletableFuture<HttpResponse<String>> answer = getAsync(s, "/predictions/model0?seq_0=" + question);
        assertTrue(model.started.tryAcquire(30, TimeUnit.SECONDS), "a worker took " + question);
        return answer;
    }

    static ModelServer start(ServedModel model, int numModels, Map<String, String> env) {
        ModelServer s = new ModelServer(ModelServerTest.settings(modelDir, numModels, 1, env), (m, i) -> model, Map.of()).start();
        assertTrue(s.awaitLoaded());
        return s;
    }

    @Test
    void copiesShareOneLoadedModel() throws Exception {
        ServerSettings settings = ModelServerTest.settings(modelDir, 3, 1);
        ModelServer.Loader real = ModelServer.loader(settings);
        AtomicInteger loads = new AtomicInteger();
        ModelServer s = new ModelServer(settings, (m, i) -> {
            loads.incrementAndGet();
            return real.load(m, i);
        }, ModelSpec.metadata(modelDir)).start();
        try {
            assertTrue(s.awaitLoaded());
            assertEquals(1, loads.get(), "three copies, one load");
            String expected = get(s, "/predictions/model0?seq_0=" + ModelServerTest.q(QaCodec.SAMPLE_QUESTION)).body();
            assertEquals("{\"detail\":\"i think i can\"}", expected);
            assertEquals(expected, get(s, "/predictions/model2?seq_0=" + ModelServerTest.q(QaCodec.SAMPLE_QUESTION)).body());
            JsonNode models = ModelServerTest.JSON.readTree(get(s, "/models").body()).get("models");
            assertEquals(3, models.size());
            assertTrue(models.get(2).get("shared_weights").asBoolean(), models.toString());
            assertTrue(models.get(0).get("batches").asText().contains("longest row"), "the bundled model takes any length");
        } finally {
            s.drain();
        }
    }

    @Test
    void batchedAnswersEqualUnbatchedOnes() throws Exception {
        ModelSpec spec = ModelSpec.ofTrace(modelDir, "cpu", 1, 1, "");
        String[][] pairs = {
            {QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT},
            {"what does the red fox say?", "in the wood the red fox says: 'catch me if you can' and runs."},
            {"who?", "a short context"},
            {"What does the little engine say", QaCodec.SAMPLE_CONTEXT + " " + QaCodec.SAMPLE_CONTEXT},
        };
        Map<Integer, List<String>> textsByBucket = new java.util.TreeMap<>();
        for (int bucket : new int[] {0, 16, 32}) {
            try (LoadedModel model = LoadedModel.load(spec, bucket); var predictor = model.newPredictor()) {
                assertEquals(bucket > 0, model.variableLength(), "the bundled model takes any length");
                List<QaCodec.Encoded> encoded = new ArrayList<>();
                for (String[] p : pairs) {
                    encoded.add(model.codec().encodeTokens(p[0], p[1]));
                }
                List<Answer> batched = model.answer(predictor, encoded, true);
                for (int i = 0; i < pairs.length; i++) {
                    Answer alone = model.answer(predictor, List.of(encoded.get(i)), true).get(0);
                    assertEquals(alone.text(), batched.get(i).text(), "pair " + i + ", bucket " + bucket);
                    assertEquals(alone.startIndex(), batched.get(i).startIndex());
                    assertEquals(alone.endIndex(), batched.get(i).endIndex());
                }
                assertEquals("i think i can", batched.get(0).text());
                assertNotEquals(batched.get(0).text(), batched.get(1).text(), "rows keep their own answers");
                textsByBucket.put(bucket, batched.stream().map(Answer::text).toList());
            }
        }
        assertEquals(textsByBucket.get(0), textsByBucket.get(16), "right-sized sequences answer as full padding does");
        assertEquals(textsByBucket.get(0), textsByBucket.get(32));
    }

    @Test
    void aModelThatTakesOnlyItsTracedShapeGetsExactlyThat() throws Exception {
        ModelSpec spec = ModelSpec.ofTrace(modelDir, "cpu", 1, 1, "");
        try (LoadedModel model = LoadedModel.load(spec, 16, true); var predictor = model.newPredictor()) {
            assertFalse(model.variableLength());
            assertEquals(spec.batchSize(), model.maxRows(), "one traced batch per forward");
            assertTrue(model.shapeNote().contains("dynamic_length false"), model.shapeNote());
            QaCodec.Encoded pair = model.codec().encodeTokens(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT);
            assertEquals(spec.sequenceLength(), model.width(List.of(pair)));
            assertEquals("i think i can", model.answer(predictor, List.of(pair), true).get(0).text());
        }
    }

    @Test
    void aFullQueueIsRefusedAtOnceWith503JsonAndRetryAfter() throws Exception {
        GatedModel model = new GatedModel(0);
        ModelServer s = start(model, 1, Map.of("MAX_QUEUE", "2", "MAX_BATCH_SIZE", "1"));
        try {
            CompletableFuture<HttpResponse<String>> first = computing(s, model, "first");
            List<CompletableFuture<HttpResponse<String>>> queued = List.of(getAsync(s, "/predictions/model0?seq_0=second"),
                    getAsync(s, "/predictions/model0?seq_0=third"));
            awaitQueued(s, 2);
            HttpResponse<String> refused = get(s, "/predictions/model0?seq_0=fourth");
            assertEquals(503, refused.statusCode(), refused.body());
            assertEquals("application/json", refused.headers().firstValue("Content-Type").orElse(""));
            assertEquals("{\"detail\":\"model0 is overloaded (2 requests queued); try again shortly\"}", refused.body());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(""));
            model.gate.countDown();
            assertEquals("{\"detail\":\"first\"}", first.get(30, TimeUnit.SECONDS).body());
            for (CompletableFuture<HttpResponse<String>> f : queued) {
                assertEquals(200, f.get(30, TimeUnit.SECONDS).statusCode());
            }
            assertFalse(model.computed.contains("fourth"));
            assertTrue(get(s, "/metrics").body().contains("jdo_refused_total{model=\"model0\",reason=\"queue_full\"} 1.0"));
        } finally {
            model.gate.countDown();
            s.drain();
        }
    }

    @Test
    void anIdleServerComputesOnTheRequestThreadABusyOrCrowdedOneQueuesForItsWorkers() throws Exception {
        GatedModel model = new GatedModel(0);
        ModelServer s = start(model, 1, Map.of("MAX_BATCH_SIZE", "1")); // one predictor: one worker, one slot
        try {
            CompletableFuture<HttpResponse<String>> first = computing(s, model, "first");
            CompletableFuture<HttpResponse<String>> second = getAsync(s, "/predictions/model0?seq_0=second");
            awaitQueued(s, 1);
            model.gate.countDown();
            assertEquals("{\"detail\":\"first\"}", first.get(30, TimeUnit.SECONDS).body());
            assertEquals("{\"detail\":\"second\"}", second.get(30, TimeUnit.SECONDS).body());
            try (java.net.Socket idle = new java.net.Socket("127.0.0.1", s.port())) {
                // a keep-alive client between two requests: it sent one, and may send the next at any time
                idle.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                idle.getInputStream().read(new byte[4096]);
                assertEquals("{\"detail\":\"third\"}", get(s, "/predictions/model0?seq_0=third").body());
            }
            assertTrue(model.computedOn.get("first").isVirtual(), "idle: computed on its request thread, " + model.computedOn);
            assertEquals("worker-0", model.computedOn.get("second").getName(), "the slot was busy: queued for the worker");
            assertEquals("worker-0", model.computedOn.get("third").getName(),
                    "more connections than workers: a request parsed later must not wait for a carrier");
        } finally {
            model.gate.countDown();
            s.drain();
        }
        GatedModel delayed = new GatedModel(0);
        delayed.gate.countDown();
        s = start(delayed, 1, Map.of("MAX_BATCH_SIZE", "4", "MAX_BATCH_DELAY_MS", "5"));
        try {
            assertEquals(200, get(s, "/predictions/model0?seq_0=alone").statusCode());
            assertEquals("worker-0", delayed.computedOn.get("alone").getName(), "a batch delay asks for the batcher: " + delayed.computedOn);
        } finally {
            s.drain();
        }
    }

    @Test
    void aClientThatHangsUpWhileQueuedIsDroppedNotComputed() throws Exception {
        GatedModel model = new GatedModel(0);
        ModelServer s = start(model, 1, Map.of("MAX_BATCH_SIZE", "1"));
        try {
            CompletableFuture<HttpResponse<String>> first = computing(s, model, "first");
            try (java.net.Socket client = new java.net.Socket("127.0.0.1", s.port())) {
                client.getOutputStream().write("GET /predictions/model0?seq_0=gone HTTP/1.1\r\nHost: x\r\n\r\n"
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                client.getOutputStream().flush();
                awaitQueued(s, 1);
            } // the client hangs up: HTTP/1.1, nothing more to read, the server is not reading
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(ClosedPeers.MAX_AGE_NANOS) + 10); // past the server's last read of the kernel's table
            CompletableFuture<HttpResponse<String>> stays = getAsync(s, "/predictions/model0?seq_0=stays");
            model.gate.countDown();
            assertEquals("{\"detail\":\"first\"}", first.get(30, TimeUnit.SECONDS).body());
            assertEquals("{\"detail\":\"stays\"}", stays.get(30, TimeUnit.SECONDS).body());
            assertFalse(model.computed.contains("gone"), "dropped: " + model.computed);
            assertTrue(get(s, "/metrics").body().contains("jdo_refused_total{model=\"model0\",reason=\"client_gone\"} 1.0"));
            awaitNothingInFlight(s);
        } finally {
            model.gate.countDown();
            s.drain();
        }
    }

    @Test
    void aRequestStillQueuedAtItsDeadlineGets504AndIsNeverComputed() throws Exception {
        GatedModel model = new GatedModel(0);
        ModelServer s = start(model, 1, Map.of("REQUEST_TIMEOUT_MS", "300", "MAX_BATCH_SIZE", "1"));
        try {
            CompletableFuture<HttpResponse<String>> first = computing(s, model, "first");
            HttpResponse<String> late = get(s, "/predictions/model0?seq_0=late");
            assertEquals(504, late.statusCode(), late.body());
            assertTrue(ModelServerTest.JSON.readTree(late.body()).get("detail").asText().contains("request_timeout_ms=300"), late.body());
            model.gate.countDown();
            first.get(30, TimeUnit.SECONDS); // computed or timed out: it was running
            assertEquals(200, get(s, "/predictions/model0?seq_0=after").statusCode());
            assertFalse(model.computed.contains("late"), "a request past its deadline is dropped, not computed: " + model.computed);
            awaitNothingInFlight(s);
        } finally {
            model.gate.countDown();
            s.drain();
        }
    }

    @Test
    void healthReadinessAndMetricsAnswerWhileEveryWorkerIsBusy() throws Exception {
        GatedModel model = new GatedModel(TimeUnit.MILLISECONDS.toNanos(300));
        model.gate.countDown();
        ModelServer s = start(model, 2, Map.of("MAX_QUEUE", "10", "PREDICTORS_PER_MODEL", "2", "PROBE_PORT", "0"));
        List<CompletableFuture<HttpResponse<String>>> flood = new ArrayList<>();
        try {
            for (int i = 0; i < 120; i++) {
                flood.add(getAsync(s, "/predictions/model" + (i % 2) + "?seq_0=q" + i));
            }
            assertTrue(model.started.tryAcquire(2, 30, TimeUnit.SECONDS), "both workers are computing");
            assertTrue(s.probePort() > 0 && s.probePort() != s.port(), "probes have a port of their own");
            for (String path : List.of("/health/live", "/health/ready", "/metrics", "/models")) {
                // generous: the point is that probes do not wait behind forwards (seconds here)
                assertEquals(200, getAsync(s, path).get(2, TimeUnit.SECONDS).statusCode(), path);
                HttpResponse<String> probe = ModelServerTest.HTTP.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + s.probePort() + path)).build(), HttpResponse.BodyHandlers.ofString())
                        .get(2, TimeUnit.SECONDS);
                assertEquals(200, probe.statusCode(), path + " on the probe port");
            }
            HttpResponse<String> nowhere = ModelServerTest.HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + s.probePort() + "/predictions/model0")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, nowhere.statusCode(), "predictions are not served on the probe port");
            assertEquals("{\"detail\":\"not found: /predictions/model0\"}", nowhere.body());
            int ok = 0;
            int refused = 0;
            for (CompletableFuture<HttpResponse<String>> f : flood) {
                int status = f.get(120, TimeUnit.SECONDS).statusCode();
                ok += status == 200 ? 1 : 0;
                refused += status == 503 ? 1 : 0;
            }
            assertEquals(flood.size(), ok + refused, "every request is answered or refused");
            assertTrue(refused > 0, "with 20 queue places for 120 requests some are refused");
        } finally {
            s.drain();
        }
    }

    @Test
    void sigtermTurnsReadinessOffServesThroughTheDrainDelayThenRefusesAndFinishesTheQueue() throws Exception {
        GatedModel model = new GatedModel(0);
        ModelServer s = start(model, 1, Map.of("DRAIN_DELAY", "1", "MAX_BATCH_SIZE", "1"));
        try {
            CompletableFuture<HttpResponse<String>> running = computing(s, model, "running");
            CompletableFuture<HttpResponse<String>> queued = getAsync(s, "/predictions/model0?seq_0=queued");
            CompletableFuture<Void> drain = CompletableFuture.runAsync(s::drain);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (s.state() != ModelServer.State.DRAINING && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            assertEquals(503, get(s, "/health/ready").statusCode(), "readiness is off at once");
            assertEquals(200, get(s, "/health/live").statusCode(), "still alive");
            CompletableFuture<HttpResponse<String>> duringDelay = getAsync(s, "/predictions/model0?seq_0=late-but-welcome");
            while (s.state() != ModelServer.State.STOPPING && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            HttpResponse<String> refused = get(s, "/predictions/model0?seq_0=too-late");
            assertEquals(503, refused.statusCode());
            assertEquals("{\"detail\":\"the server is shutting down\"}", refused.body());
            model.gate.countDown();
            for (CompletableFuture<HttpResponse<String>> f : List.of(running, queued, duringDelay)) {
                assertEquals(200, f.get(30, TimeUnit.SECONDS).statusCode(), "accepted requests are answered");
            }
            drain.get(30, TimeUnit.SECONDS);
            assertEquals(List.of("running", "queued", "late-but-welcome"), List.copyOf(model.computed));
        } finally {
            model.gate.countDown();
        }
    }

    @Test
    void badValuesOfTheServingKeysAreOneLineErrors() {
        ServerSettings.BadSetting e = assertThrows(ServerSettings.BadSetting.class,
                () -> ModelServerTest.settings(modelDir, 1, 1, Map.of("MAX_BATCH_SIZE", "0")));
        assertEquals("MAX_BATCH_SIZE=0 must be a whole number from 1 to 1024", e.getMessage());
        e = assertThrows(ServerSettings.BadSetting.class, () -> ModelServerTest.settings(modelDir, 1, 1, Map.of("MAX_QUEUE", "lots")));
        assertEquals("MAX_QUEUE=lots must be a whole number from 1 to 1000000", e.getMessage());
        e = assertThrows(ServerSettings.BadSetting.class, () -> ModelServerTest.settings(modelDir, 1, 1, Map.of("DRAIN_DELAY", "-1")));
        assertEquals("DRAIN_DELAY=-1 must be a whole number from 0 to 3600", e.getMessage());
    }
}
