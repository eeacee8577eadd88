package lib.step;

//SOURCES ../cli/Console.java ../image/Images.java StepCommand.java

import lib.cli.Console;
import lib.image.Images;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A lifecycle script that owns one image (build.java the base image, pack.java the model image,
 * test.java the test image) and so offers its push and pull sub-commands. runtime=local has no
 * images: there they say so and succeed. A superclass rather than a picocli mixin, because picocli
 * 4.7 calls a mixin's sub-command methods on the command object instead of the mixin.
 */
public abstract class ImageStepCommand extends StepCommand {
    /** The image this script builds, pushes and pulls. */
    protected abstract Images.Kind image();

    /** Names this script's image in the help of push and pull. */
    @Spec
    void describeTransfers(CommandSpec command) {
        command.subcommands().get("push").getCommandSpec().usageMessage()
                .description("Pushes the " + image().what + " to the registry (ECR: creates the repository when missing).");
        command.subcommands().get("pull").getCommandSpec().usageMessage().description("Pulls the " + image().what + " from the registry.");
    }

    /** Builds this script's image, which runtime=local does without (build and pack prepare what it runs instead). */
    protected int buildImage() {
        if (!config().runtime().equals("local")) {
            new Images(config()).build(image());
        }
        return 0;
    }

    @Command(name = "push", description = "Pushes this script's image to the registry.")
    int push() {
        pushModels();
        if (!noImagesLocally("push")) {
            new Images(config()).push(image());
        }
        return 0;
    }

    /** What push sends besides the image (pack: the models, to model_store); nothing by default. */
    protected void pushModels() {
    }

    @Command(name = "pull", description = "Pulls this script's image from the registry.")
    int pull() {
        if (!noImagesLocally("pull")) {
            new Images(config()).pull(image());
        }
        return 0;
    }

    private boolean noImagesLocally(String what) {
        if (!config().runtime().equals("local")) {
            return false;
        }
        Console.step("runtime=local uses no images, so there is nothing to %s; set runtime=docker or kubernetes for images.", what);
        return true;
    }
}
