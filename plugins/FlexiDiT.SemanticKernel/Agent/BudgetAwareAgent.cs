using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace FlexiDiT.SemanticKernel;

/// <summary>
/// An agent that makes images within a budget: a <see cref="Kernel"/> with automatic function calling over any
/// <see cref="IChatClient"/>, the FlexiDiT image plugin, and the <see cref="ImageBudgetFilter"/> that enforces the
/// ledger and the run's caps. Its instructions carry the live budget and each task type's price; every run ends with
/// a spend report computed from the ledger.
/// </summary>
public sealed class BudgetAwareAgent
{
    private readonly Kernel kernel;
    private readonly FlexiDiTImageTools tools;
    private readonly BudgetAwareAgentOptions options;

    /// <summary>Initializes a new instance of the <see cref="BudgetAwareAgent"/> class.</summary>
    /// <param name="chatClient">The model, any MEAI chat client (OpenAI, Azure OpenAI, Ollama, a scripted one).</param>
    /// <param name="tools">The image tools.</param>
    /// <param name="options">The options, or <see langword="null"/> for defaults.</param>
    /// <param name="loggerFactory">Where the kernel, the filter and the tools log.</param>
    public BudgetAwareAgent(IChatClient chatClient, FlexiDiTImageTools tools, BudgetAwareAgentOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        this.tools = tools ?? throw new ArgumentNullException(nameof(tools));
        this.options = options ?? new BudgetAwareAgentOptions();

        var builder = Kernel.CreateBuilder();
        if (loggerFactory is not null)
        {
            builder.Services.AddSingleton(loggerFactory);
            builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        }

        // SK's own function-invoking client runs the kernel's auto-invocation filters, which the plain MEAI one does not.
        var chatService = chatClient.AsBuilder().UseKernelFunctionInvocation(loggerFactory).Build().AsChatCompletionService();
        builder.Services.AddSingleton(chatService);
        builder.AddFlexiDiTImages(tools);
        kernel = builder.Build();
    }

    /// <summary>Gets the kernel the agent runs on; each run uses a clone with its own <see cref="ImageRun"/>.</summary>
    public Kernel Kernel => kernel;

    /// <summary>Runs one request to the end: the model plans, calls tools under the budget guard and answers.</summary>
    /// <param name="request">What the user asks for.</param>
    /// <param name="limits">The run's caps, or <see langword="null"/> for the tools' defaults.</param>
    /// <param name="history">
    /// A conversation to continue, or <see langword="null"/> for a new one. Its first message is (re)written as the
    /// instructions; the request and every message of the run are appended to it.
    /// </param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The answer, the run and the spend report.</returns>
    public async Task<AgentRunResult> RunAsync(string request, ImageRunLimits? limits = null, ChatHistory? history = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(request);
        var run = tools.StartRun(limits);
        var kernel = this.kernel.Clone();
        kernel.AttachImageRun(run);

        var before = await tools.GetLedgerStatusAsync(cancellationToken).ConfigureAwait(false);
        var instructions = await AgentInstructions.BuildAsync(tools, run, cancellationToken).ConfigureAwait(false);
        if (options.AdditionalInstructions is { Length: > 0 } extra)
        {
            instructions += "\n\n" + extra;
        }

        history ??= [];
        if (history.Count > 0 && history[0].Role == AuthorRole.System)
        {
            history[0] = new ChatMessageContent(AuthorRole.System, instructions);
        }
        else
        {
            history.Insert(0, new ChatMessageContent(AuthorRole.System, instructions));
        }

        var start = history.Count;
        history.AddUserMessage(request);
        var settings = new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(), ModelId = options.ModelId };
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        var replies = await chat.GetChatMessageContentsAsync(history, settings, kernel, cancellationToken).ConfigureAwait(false);
        foreach (var reply in replies.Where(r => !history.Contains(r)))
        {
            history.Add(reply);
        }

        var after = await tools.GetLedgerStatusAsync(cancellationToken).ConfigureAwait(false);
        var last = history[^1];
        return new AgentRunResult
        {
            Answer = last.Role == AuthorRole.Assistant && !string.IsNullOrWhiteSpace(last.Content) ? last.Content : null,
            Report = SpendReport.Create(before, after, run),
            Run = run,
            Transcript = [.. history.Skip(start)],
        };
    }
}
