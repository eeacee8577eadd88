package server;

import java.time.Instant;
import java.util.Locale;

/** The server's log: one logfmt line per event on stdout. */
final class Log {
    private Log() {
    }

    static void line(String format, Object... args) {
        System.out.println("ts=" + Instant.now() + " " + String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

    /** A value to put between double quotes in a line. */
    static String quoted(String text) {
        return String.valueOf(text).replace("\"", "'");
    }
}
