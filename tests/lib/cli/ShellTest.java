package lib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ShellTest {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    @AfterEach
    void restore() {
        Console.redirect(System.out, System.err);
    }

    @Test
    void quotesOnlyWhatAShellNeedsQuoted() {
        assertEquals("docker run -e NUM_MODELS=2 --name 'a b' 'it'\\''s'",
                Shell.quote(List.of("docker", "run", "-e", "NUM_MODELS=2", "--name", "a b", "it's")));
    }

    @Test
    void verboseEchoesTheCommandAndCaptureReturnsOutputAndExitCode() {
        Console.redirect(new PrintStream(out, true), System.err);
        Shell.Result r = new Shell(true).capture(List.of("sh", "-c", "read x; echo got $x; exit 3"), "secret\n");
        assertEquals(3, r.exitCode());
        assertEquals("got secret\n", r.output());
        assertEquals("+ sh -c 'read x; echo got $x; exit 3'\n", out.toString(), "stdin (a password) is never echoed");
        out.reset();
        new Shell(false).capture(List.of("true"));
        assertEquals("", out.toString());
    }

    @Test
    void aMissingToolIsAClearError() {
        CliError e = assertThrows(CliError.class, () -> new Shell(false).run(List.of("no-such-tool-xyz", "x")));
        assertEquals("cannot run 'no-such-tool-xyz': not installed (not on PATH)", e.getMessage());
        assertTrue(Shell.onPath("sh"));
    }

    @Test
    void tablesAlignColumns() {
        assertEquals(List.of("NAME  PORT", "a-0   8080", "a-10  8081"),
                Console.formatTable(List.of(List.of("NAME", "PORT"), List.of("a-0", "8080"), List.of("a-10", "8081"))));
    }
}
