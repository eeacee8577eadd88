package server;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;

/**
 * Gives the native memory that loads and unloads freed back to the OS. glibc keeps what a thread
 * frees in that thread's malloc arena, and every server runs with an arena per thread
 * (lib/runtime/Servers.THREAD_ENV), so without this the pages a load or an unload freed would stay held,
 * spread over many arenas. glibc's malloc_trim(0) releases the free pages of every arena. Where
 * the C library is not glibc (musl, macOS) there is no malloc_trim, and nothing is done.
 */
final class NativeHeap {
    private static final Function MALLOC_TRIM = lookUp();
    private static final java.util.concurrent.atomic.AtomicLong TRIMS = new java.util.concurrent.atomic.AtomicLong();

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

    /** Trims asked of glibc so far, by this process. */
    static long trims() {
        return TRIMS.get();
    }
}
