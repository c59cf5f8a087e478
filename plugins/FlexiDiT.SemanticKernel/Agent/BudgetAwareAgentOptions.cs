namespace FlexiDiT.SemanticKernel;

/// <summary>Options of <see cref="BudgetAwareAgent"/>.</summary>
public sealed class BudgetAwareAgentOptions
{
    /// <summary>Gets or sets text added after the generated instructions, e.g. a house style.</summary>
    public string? AdditionalInstructions { get; set; }

    /// <summary>Gets or sets the model id passed to the chat client, or <see langword="null"/> for the client's default.</summary>
    public string? ModelId { get; set; }
}
