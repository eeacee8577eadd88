//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//DEPS org.hdrhistogram:HdrHistogram:2.2.2
//SOURCES BenchSupport.java ../server/ModelServer.java ../lib/runtime/LocalRuntime.java ../lib/model/ModelSpec.java ../lib/trace/PrecisionCheck.java ../lib/model/QaCodec.java ../lib/model/QaModel.java ../lib/runtime/Readiness.java ../lib/runtime/ServerEnv.java
package bench;

import static bench.BenchSupport.*;


import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import lib.model.ModelSpec;
import lib.trace.PrecisionCheck;
import lib.model.QaCodec;
import lib.model.QaModel;
import lib.runtime.Readiness;

/**
 * Forwards of the full-size model in each precision, in-process and through the server (issue
 * 13's table), run from ServingBench's `forward` and `precision` modes.
 */
final class ForwardBench {
    private ForwardBench() {
    }

    /**
     * Forwards in-process (tokenize, forward, decode), several models alternated round by round so
     * that a noisy machine treats them alike: 2 callers with a predictor and 1 intra-op thread each,
     * batches of one padded in steps of 16 tokens (the server's defaults on 2 cores).
     */
    static void forward(String models, double seconds, int rounds) throws Exception {
        System.out.printf(Locale.ROOT, "forward, %d cores, %s, graph optimizer %s%n%n", CORES, cpuName(),
                System.getProperty("ai.djl.pytorch.graph_optimizer", "default"));
        // CPU time per request (the caller's thread runs the forward with 1 intra-op thread) is what
        // other work on a shared machine disturbs least; 2 cores / that = requests/s of an idle machine
        System.out.println("| model | round | requests/s | p50 ms | p99 ms | CPU ms/request | 2 cores / CPU ms |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int round = 1; round <= rounds; round++) {
            for (String name : models.split(",")) {
                Path trace = name.startsWith("full") ? fullModel(name) : name.equals("tiny") ? tinyModel() : Path.of(name);
                ModelSpec spec = ModelSpec.ofTrace(trace, "cpu", 1, 1, null);
                try (QaModel m = QaModel.load(spec, 2, Integer.parseInt(System.getenv().getOrDefault("BENCH_BUCKET", "16")))) {
                    m.warmUp();
                    AtomicLong cpuNanos = new AtomicLong();
                    AtomicLong calls = new AtomicLong();
                    QaCodec.Encoded sample = m.codec().encodeTokens(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT);
                    String label = trace.getFileName() + " (" + sample.ids().length + " tokens, padded to "
                            + m.loaded().width(List.of(sample)) + ")";
                    Result r = run(label + " | " + round, 2, seconds, () -> {
                        long before = cpu.getCurrentThreadCpuTime();
                        boolean ok = m.answer(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT, true).text() != null;
                        cpuNanos.addAndGet(cpu.getCurrentThreadCpuTime() - before);
                        calls.incrementAndGet();
                        return ok;
                    });
                    double cpuMs = cpuNanos.get() / 1e6 / calls.get();
                    System.out.printf(Locale.ROOT, "%s %.1f | %.1f |%n", r.row(), cpuMs, CORES * 1000 / cpuMs);
                }
            }
        }
    }

    /**
     * The full-size model in fp32, bf16 and int8: answer agreement with fp32 on models/questions.json,
     * then in-process (2 callers, 2 predictors of 1 intra-op thread) and through the server (8
     * callers; 1 copy, then 4) with full padding (bucket 0) and right-sized batches (bucket 16).
     * CPU ms/request counts the server process's CPU time (or the in-process forwards') over all
     * requests of a run, HTTP included: the figure other work on a shared machine disturbs least.
     */
    static void precision(double seconds) throws Exception {
        Path fp32 = fullModel("full");
        java.util.List<PrecisionCheck.Question> questions = PrecisionCheck.questions(ROOT.resolve(PrecisionCheck.QUESTIONS));
        System.out.println("| precision | agreement with fp32 | path | sequence_bucket | requests/s | p50 ms | p99 ms | RSS MB | CPU ms/request |");
        System.out.println("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (String name : new String[] {"full", "full-bf16", "full-int8"}) {
            Path trace = fullModel(name);
            String precision = name.equals("full") ? "fp32" : name.substring(5);
            String agreement;
            try (QaModel a = QaModel.load(ModelSpec.ofTrace(fp32, "cpu", 1, 1, null), 1);
                 QaModel b = QaModel.load(ModelSpec.ofTrace(trace, "cpu", 1, 1, null), 1)) {
                PrecisionCheck.Result r = PrecisionCheck.compare(a, b, questions);
                agreement = String.format(Locale.ROOT, "%.1f%% (%d of %d)", r.agreementPercent(), r.agreed(), r.total());
            }
            for (int bucket : new int[] {0, 16}) {
                try (QaModel m = QaModel.load(ModelSpec.ofTrace(trace, "cpu", 1, 1, null), 2, bucket)) {
                    m.warmUp();
                    Measured in = inProcess(m, "", 2, seconds);
                    System.out.println(precisionRow(precision, agreement, "in-process, 2 callers", bucket, in.result(),
                            rssKb(ProcessHandle.current().pid()) / 1024, in.cpuMsPerRequest()));
                }
            }
            for (String[] setting : new String[][] {{"1", "0"}, {"1", "16"}, {"4", "16"}}) {
                int copies = Integer.parseInt(setting[0]);
                server(trace, Map.of("NUM_MODELS", setting[0], "SEQUENCE_BUCKET", setting[1]), (url, pid) -> {
                    Measured m = measure(url, pid, 8, seconds, copies);
                    Result r = m.result();
                    double cpuMs = m.cpuMsPerRequest();
                    System.out.println(precisionRow(precision, agreement, "server, " + copies + " cop" + (copies == 1 ? "y" : "ies")
                            + ", 8 callers", Integer.parseInt(setting[1]), r, rssKb(pid) / 1024, cpuMs));
                    return null;
                });
            }
        }
    }

    static String precisionRow(String precision, String agreement, String path, int bucket, Result r, long rssMb, double cpuMs) {
        return String.format(Locale.ROOT, "| %s | %s | %s | %d | %.1f | %.1f | %.1f | %d | %.1f |", precision, agreement, path, bucket,
                r.throughput(), r.latencies().getValueAtPercentile(50) / 1000.0, r.latencies().getValueAtPercentile(99) / 1000.0,
                rssMb, cpuMs);
    }

}
