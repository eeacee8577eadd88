package server;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;

/**
 * Gives the native memory that loads and unloads freed back to the OS. glibc keeps what a thread
 * frees in that thread's malloc arena, and every server runs with an arena per thread
 * (lib/runtime/ServerEnv.THREAD_ENV), so without this the pages a load or an unload freed would stay held,
 * spread over many arenas. glibc's malloc_trim(0) releases the free pages of every arena. Where
 * the C library is not glibc (musl, macOS) there is no malloc_trim, and nothing is done.
 */
final class NativeHeap {
    private static final Function MALLOC_TRIM = lookUp();
    private static final java.util.concurrent.atomic.AtomicLong TRIMS = new java.util.concurrent.atomic.AtomicLong();
    private static final java.util.concurrent.atomic.AtomicBoolean PENDING = new java.util.concurrent.atomic.AtomicBoolean();

    private NativeHeap() {
    }

    private static Function lookUp() {
        try {
            return NativeLibrary.getInstance("c").getFunction("malloc_trim");
        } catch (LinkageError | RuntimeException notGlibc) { // no such symbol, or JNA's own library not loadable
            return null;
        }
    }

    /** Whether this C library can give free pages back (glibc). */
    static boolean canTrim() {
        return MALLOC_TRIM != null;
    }

    /** Gives free pages of every arena back to the OS; true when some were. */
    static boolean trim() {
        if (MALLOC_TRIM == null) {
            return false;
        }
        TRIMS.incrementAndGet();
        return MALLOC_TRIM.invokeInt(new Object[] {0L}) == 1; // size_t pad: 64 bits on the LP64 Linux the server runs on
    }

    /**
     * After a load or an unload: a trim a second later, once for every load and unload of that
     * second, on a thread of its own: a trim locks each malloc arena in turn, so it must not run
     * under the store's lock nor after every one of a burst of loads.
     */
    static void trimSoon() {
        if (canTrim() && PENDING.compareAndSet(false, true)) {
            Thread.ofPlatform().name("malloc-trim").daemon().start(() -> {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                } finally {
                    PENDING.set(false);
                }
                trim();
            });
        }
    }

    /** Trims asked of glibc so far, by this process. */
    static long trims() {
        return TRIMS.get();
    }
}
