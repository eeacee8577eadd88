package server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** glibc's malloc_trim, as the server calls it after loads and unloads. */
class NativeHeapTest {
    private static final NativeLibrary LIBC = NativeLibrary.getInstance("c");

    @Test
    void freePagesInsideAnArenaGoBackToTheOS() {
        assertTrue(NativeHeap.canTrim(), "this Linux has glibc's malloc_trim");
        NativeHeap.trim(); // what earlier tests left free
        Function malloc = LIBC.getFunction("malloc");
        Function free = LIBC.getFunction("free");
        // 32 MiB in blocks below glibc's mmap threshold, the last one kept: free() can give back
        // only the top of an arena, so the pages below it stay held until malloc_trim
        List<Pointer> blocks = new ArrayList<>();
        for (int i = 0; i < 512; i++) {
            Pointer p = (Pointer) malloc.invoke(Pointer.class, new Object[] {64 * 1024L});
            p.setMemory(0, 64 * 1024L, (byte) 1); // touched: resident
            blocks.add(p);
        }
        Pointer top = blocks.removeLast();
        blocks.forEach(p -> free.invokeVoid(new Object[] {p}));
        try {
            assertTrue(NativeHeap.trim(), "malloc_trim gave back the freed pages");
        } finally {
            free.invokeVoid(new Object[] {top});
        }
    }
}
