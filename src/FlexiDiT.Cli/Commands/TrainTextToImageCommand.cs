using System.CommandLine;
using FlexiDiT.Models;
using FlexiDiT.Prompts.Captions;
using FlexiDiT.Training;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit train-t2i</c>: trains the text-to-image Shapes scenes model (caption encoder + PixArt-α) from scratch, resumably.</summary>
internal static class TrainTextToImageCommand
{
    public static Command Create()
    {
        var shared = new TrainingRunOptions();
        var depth = new Option<int>("--depth") { Description = "PixArt blocks", DefaultValueFactory = _ => 6 };
        var hidden = new Option<int>("--hidden") { Description = "PixArt width", DefaultValueFactory = _ => 128 };
        var heads = new Option<int>("--heads") { Description = "Attention heads (self- and cross-attention)", DefaultValueFactory = _ => 4 };
        var captionWidth = new Option<int>("--caption-width") { Description = "Caption encoder width (PixArt's caption_channels)", DefaultValueFactory = _ => 128 };
        var captionTokens = new Option<int>("--caption-tokens") { Description = "Tokens per caption (the grammar's longest caption is 24)", DefaultValueFactory = _ => 24 };
        var encoderDepth = new Option<int>("--encoder-depth") { Description = "Caption encoder transformer layers", DefaultValueFactory = _ => 2 };
        var encoderHeads = new Option<int>("--encoder-heads") { Description = "Caption encoder attention heads", DefaultValueFactory = _ => 4 };
        var dropout = new Option<double>("--caption-dropout") { Description = "Share of captions replaced by the null caption (for guidance)", DefaultValueFactory = _ => 0.1 };
        var pooled = new Option<bool>("--pooled-caption")
        {
            Description = "Also add the caption's mean (through an MLP) to the timestep embedding, so shape, colour, size and position reach adaLN, not only cross-attention (--pooled-caption false: plain PixArt-α)",
            DefaultValueFactory = _ => true,
        };
        var objectWeight = new Option<double>("--object-weight")
        {
            Description = "Extra ε-loss weight λ of the object's pixels (1 + λ there; 0: off), held until the cool-down and back to 0 by its middle; speeds up learning what the caption says",
            DefaultValueFactory = _ => 0,
        };
        var command = new Command("train-t2i", "Train the text-to-image Shapes scenes model (caption encoder + PixArt-α, patch 2, learned sigma, EMA, AdamW) from scratch")
        {
            depth, hidden, heads, captionWidth, captionTokens, encoderDepth, encoderHeads, dropout, pooled, objectWeight,
        };
        shared.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            shared.PrepareMachine(parse);
            double drop = parse.GetValue(dropout);
            if (drop is < 0 or >= 1) throw new ArgumentException($"--caption-dropout is a share from 0 to below 1; got {drop}.");
            if (parse.GetValue(objectWeight) is < 0 or double.NaN) throw new ArgumentException($"--object-weight is an extra weight of 0 or more; got {parse.GetValue(objectWeight)}.");
            var tokenizer = SceneTokenizer.FromGrammar(parse.GetValue(captionTokens));
            var config = TextToImageConfig.Scenes(tokenizer.VocabularySize, parse.GetValue(depth), parse.GetValue(hidden), parse.GetValue(heads),
                parse.GetValue(captionWidth), parse.GetValue(captionTokens), parse.GetValue(encoderDepth), parse.GetValue(encoderHeads));
            config = config with { Denoiser = config.Denoiser with { ClassDropoutProb = drop, PooledCaption = parse.GetValue(pooled) } };
            var options = shared.Fill(parse, new TextToImageTrainOptions { RunDirectory = shared.RunDirectoryOf(parse), Model = config, ObjectWeight = parse.GetValue(objectWeight) });
            TrainingRunOptions.Print(new TextToImageTrainer(options).Run(cancellationToken));
            return Task.FromResult(0);
        });
        return command;
    }
}
