package lib;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes as Kubernetes and users write them: bytes, or with Ki/Mi/Gi/Ti (or K/M/G/T, also powers of 1024). */
public final class ByteSize {
    private static final Pattern SIZE = Pattern.compile("(\\d{1,15})\\s*(ki|mi|gi|ti|k|m|g|t)?b?");

    private ByteSize() {
    }

    /** The size in bytes, or -1 when the text is not a size (or too large for a long). */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return -1;
        }
        long n = Long.parseLong(m.group(1));
        int shift = switch (m.group(2) == null ? "" : m.group(2).substring(0, 1)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        return n != 0 && Long.numberOfLeadingZeros(n) <= shift ? -1 : n << shift;
    }
}
