package lib;

//SOURCES Config.java Console.java Images.java

/**
 * push and pull of one image, as build.java (base), pack.java (model) and test.java (test) offer
 * them: runtime=local has no images, so there it says so and succeeds.
 */
public final class ImageTransfer {
    private ImageTransfer() {
    }

    public static int push(Config config, Images.Kind kind) {
        if (noImagesLocally(config, "push")) {
            return 0;
        }
        new Images(config).push(kind);
        return 0;
    }

    public static int pull(Config config, Images.Kind kind) {
        if (noImagesLocally(config, "pull")) {
            return 0;
        }
        new Images(config).pull(kind);
        return 0;
    }

    private static boolean noImagesLocally(Config config, String what) {
        if (!config.runtime().equals("local")) {
            return false;
        }
        Console.step("runtime=local uses no images, so there is nothing to %s; set runtime=docker or kubernetes for images.", what);
        return true;
    }
}
