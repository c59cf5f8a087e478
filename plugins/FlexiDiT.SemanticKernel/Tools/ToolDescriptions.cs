namespace FlexiDiT.SemanticKernel;

/// <summary>
/// What the model reads about each tool and parameter; shared by the Semantic Kernel plugin and the MEAI functions
/// so both kinds of agent are told the same thing.
/// </summary>
internal static class ToolDescriptions
{
    public const string Generate =
        "Generates images from a text prompt with the local FlexiDiT model and saves them as PNG files. " +
        "The task type sets the quality floor and price: draft (cheapest, any quality), thumbnail, slide (near full quality), " +
        "ad-creative (full quality, never degraded), batch-overnight. The cheapest mode meeting the task's quality is chosen; " +
        "if the budget is short, tasks that may degrade get a cheaper mode. Returns the cost line (images, mode, credits, compute saved) " +
        "and the file URIs (and any words of the prompt the model does not know and left out), or a refusal telling you what would fit instead.";

    public const string Estimate =
        "Estimates what generating images would cost, without generating or charging anything: for each compute mode " +
        "its price in credits, predicted seconds, compute saved and whether it meets the task's quality floor, plus the mode " +
        "that would run now given the credits left.";

    public const string Budget =
        "Returns the image budget from the ledger: credits spent and remaining this period, when the period ends, " +
        "and what this run has spent and may still spend.";

    public const string Prompt = "What to draw, e.g. 'a red circle'.";

    public const string TaskType = "Task type: draft, thumbnail, slide, ad-creative or batch-overnight; omit for draft.";

    public const string Count = "Number of images, at least 1.";

    public const string Deadline = "Optional deadline in seconds; omit to use the task's default.";
}
