package lib.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes as Kubernetes and users write them: bytes, or with Ki/Mi/Gi/Ti (or K/M/G/T, also powers of 1024); and shares (60%). */
public final class ByteSize {
    private static final Pattern SIZE = Pattern.compile("(\\d{1,15})\\s*(ki|mi|gi|ti|k|m|g|t)?b?");
    private static final Pattern SHARE = Pattern.compile("(\\d{1,3}(?:\\.\\d+)?)\\s*%");

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

    /** A share written as a percentage ("60%") as a fraction (0.6), or -1 when the text is not one (0 and over 100 are not). */
    public static double share(String text) {
        Matcher m = SHARE.matcher(text.strip());
        if (!m.matches()) {
            return -1;
        }
        double percent = Double.parseDouble(m.group(1));
        return percent > 0 && percent <= 100 ? percent / 100 : -1;
    }
}
