///usr/bin/env sh "$(dirname "$0")/../jbang" "$0" "$@" ; exit $?
//JAVA 21+
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED
//SOURCES ../lib/model/QaCodec.java
package bench;

import java.nio.file.Path;
import java.util.Locale;
import lib.model.QaCodec;

/**
 * Tokenizing the sample pair with the bundled tokenizer, one thread: QaCodec's path (the four
 * views of the encoding it uses, read from DJL's binding) against DJL's full Encoding, in turns.
 *
 *   ./jbang bench/EncodeBench.java [pairs per turn=5000] [turns=3]
 */
public final class EncodeBench {
    public static void main(String... args) throws Exception {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        int turns = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (QaCodec codec = QaCodec.open(Path.of("models/bundled/tokenizer.json"), 128)) {
            System.out.println("| turn | QaCodec.encodeTokens, CPU us per pair | DJL Encoding, CPU us per pair |");
            System.out.println("| ---: | ---: | ---: |");
            for (int turn = 0; turn <= turns; turn++) { // turn 0 warms up
                long t0 = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < pairs; i++) {
                    codec.encodeTokens(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT);
                }
                long t1 = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < pairs; i++) {
                    codec.encodeTokensThroughDjl(QaCodec.SAMPLE_QUESTION, QaCodec.SAMPLE_CONTEXT);
                }
                long t2 = threads.getCurrentThreadCpuTime();
                if (turn > 0) {
                    System.out.printf(Locale.ROOT, "| %d | %.0f | %.0f |%n", turn, (t1 - t0) / 1e3 / pairs, (t2 - t1) / 1e3 / pairs);
                }
            }
        }
    }
}
