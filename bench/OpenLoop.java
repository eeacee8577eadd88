///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 21+

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An open-loop load generator (wrk2's idea, which wrk lacks): requests start on a fixed schedule
 * whatever the server answers, each on a virtual thread with a keep-alive connection from a pool
 * (a new one when none is idle), and an answer's latency counts from its scheduled start, so a
 * server that falls behind is not hidden by a client that waits for it. Prints one line:
 * sent, answered (200), refused (503/504), other, answered/s, refused/s, p50 and p99 of answered ms.
 *
 *   java bench/OpenLoop.java URL RATE SECONDS
 */
public class OpenLoop {
    record Conn(Socket socket, InputStream in, OutputStream out) {
    }

    public static void main(String[] args) throws Exception {
        URI uri = URI.create(args[0]);
        double rate = Double.parseDouble(args[1]);
        double seconds = Double.parseDouble(args[2]);
        String target = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        byte[] request = ("GET " + target + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        ConcurrentLinkedQueue<Conn> idle = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> answeredMicros = new ConcurrentLinkedQueue<>();
        AtomicLong answered = new AtomicLong(), refused = new AtomicLong(), other = new AtomicLong();
        long total = (long) (rate * seconds);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        List<Thread> threads = new ArrayList<>();
        for (long i = 0; i < total; i++) {
            long due = start + (long) (i * 1e9 / rate);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            threads.add(Thread.ofVirtual().start(() -> {
                Conn c = idle.poll();
                try {
                    if (c == null) {
                        Socket s = new Socket(uri.getHost(), uri.getPort());
                        s.setTcpNoDelay(true);
                        s.setSoTimeout(120_000);
                        c = new Conn(s, new BufferedInputStream(s.getInputStream()), s.getOutputStream());
                    }
                    c.out().write(request);
                    int[] statusAndClose = readResponse(c.in());
                    long micros = (System.nanoTime() - due) / 1000;
                    switch (statusAndClose[0]) {
                        case 200 -> {
                            answered.incrementAndGet();
                            answeredMicros.add(micros);
                        }
                        case 503, 504 -> refused.incrementAndGet();
                        default -> other.incrementAndGet();
                    }
                    if (statusAndClose[1] == 1) {
                        c.socket().close();
                    } else {
                        idle.add(c);
                    }
                } catch (IOException e) {
                    other.incrementAndGet();
                    if (c != null) {
                        try {
                            c.socket().close();
                        } catch (IOException ignored) {
                        }
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        List<Long> lat = new ArrayList<>(answeredMicros);
        Collections.sort(lat);
        System.out.printf(Locale.ROOT, "sent=%d answered=%d refused=%d other=%d answered_per_s=%.1f refused_per_s=%.1f p50_ms=%.1f p99_ms=%.1f%n",
                total, answered.get(), refused.get(), other.get(), answered.get() / seconds, refused.get() / seconds,
                pct(lat, 0.50), pct(lat, 0.99));
        for (Conn c : idle) {
            c.socket().close();
        }
    }

    static double pct(List<Long> sorted, double p) {
        return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, (int) (p * sorted.size()))) / 1000.0;
    }

    /** Reads one response: its status, and 1 when the server closes the connection after it. */
    static int[] readResponse(InputStream in) throws IOException {
        String status = line(in);
        if (status == null) {
            throw new IOException("closed");
        }
        int code = Integer.parseInt(status.split(" ")[1]);
        int length = 0;
        int close = 0;
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            String lower = h.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(lower.substring(15).strip());
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                close = 1;
            }
        }
        in.readNBytes(length);
        return new int[] {code, close};
    }

    static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                return b.toString();
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.length() == 0 ? null : b.toString();
    }
}
