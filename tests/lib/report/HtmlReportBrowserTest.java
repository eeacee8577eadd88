package lib.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.Chromium;

/**
 * The report as a person sees it: opened in headless Chromium, without console messages, with its
 * plots drawn (a screenshot of it holds the charts' colours). A damaged copy shows that both checks
 * can fail. -Djdo.report.screenshot=FILE keeps the screenshot.
 */
class HtmlReportBrowserTest {
    @TempDir
    Path dir;

    /** Pixels of clear colour (not white, grey or black): series lines and bars, never text. */
    static long colourful(BufferedImage image) {
        long n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                int r = (rgb >> 16) & 0xff;
                int g = (rgb >> 8) & 0xff;
                int b = rgb & 0xff;
                n += Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 80 ? 1 : 0;
            }
        }
        return n;
    }

    @Test
    void theReportOpensWithoutConsoleMessagesAndShowsItsPlots() throws Exception {
        Chromium.binary();
        BenchmarkReport.Aggregate a = BenchmarkReport.aggregate(Map.of(
                "test-0", HtmlReportTest.clientOutput("test-0", 8, 2_000, Map.of("503", 2L)),
                "test-1", HtmlReportTest.clientOutput("test-1", 8, 5_000, Map.of())));
        Path report = HtmlReport.write(a, HtmlReportTest.settings(), dir.resolve("report.html"));
        Path png = dir.resolve("report.png");
        Chromium.Load load = Chromium.screenshot(report, png, 1100, 4000, dir);
        assertEquals(0, load.exitCode(), load.log());
        assertEquals(List.of(), load.console(), "console messages");
        BufferedImage shot = ImageIO.read(png.toFile());
        assertEquals(1100, shot.getWidth());
        long drawn = colourful(shot);
        assertTrue(drawn > 20_000, "the plots are drawn: " + drawn + " colourful pixels");
        String keep = System.getProperty("jdo.report.screenshot");
        if (keep != null) {
            Files.copy(png, Path.of(keep), StandardCopyOption.REPLACE_EXISTING);
        }

        // the same page with its images damaged and a script that complains: both checks notice
        String html = Files.readString(report).replaceAll("base64,[A-Za-z0-9+/=]+", "base64,AAAA")
                .replace("</body>", "<script>console.error('boom')</script></body>");
        Path damaged = Files.writeString(dir.resolve("damaged.html"), html);
        Path damagedPng = dir.resolve("damaged.png");
        Chromium.Load bad = Chromium.screenshot(damaged, damagedPng, 1100, 4000, dir);
        assertTrue(bad.console().stream().anyMatch(l -> l.contains("\"boom\"")), bad.console().toString());
        long broken = colourful(ImageIO.read(damagedPng.toFile()));
        assertTrue(broken < drawn / 10, "without its images the page has few colourful pixels: " + broken + " vs " + drawn);
    }
}
