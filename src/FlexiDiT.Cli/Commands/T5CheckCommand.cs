using System.CommandLine;
using FlexiDiT.Checkpoints;
using FlexiDiT.Cli.Reporting;
using FlexiDiT.Platform;
using FlexiDiT.TextEncoders;
using FlexiDiT.Verification;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit t5-check</c>: replays the T5 encoder's and tokenizer's reference vectors and reports the errors.</summary>
internal static class T5CheckCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "T5 encoder weights: a .safetensors or pytorch_model.bin file, a *.index.json of shards, or a folder holding one", Required = true };
        var config = new Option<FileInfo?>("--config") { Description = "Hugging Face config.json of the encoder (default: the one next to the weights)" };
        var spiece = new Option<FileInfo?>("--spiece") { Description = "SentencePiece model (spiece.model); with a tokens file, checks the token ids" };
        var vectors = new Option<FileInfo>("--vectors") { Description = "Reference vectors (.vectors.safetensors with encode.* and/or bucket.*)", Required = true };
        var tokens = new Option<FileInfo?>("--tokens") { Description = "Tokens file (texts, token_ids, max_length); default: NAME.json next to NAME.vectors.safetensors" };
        var bf16 = new Option<bool>("--bf16") { Description = "Hold the weights in bfloat16 (CPUs with native bfloat16 only; the tolerance is then the caller's to widen)" };
        var tolerance = new Option<double>("--tolerance") { Description = "Largest allowed max abs error relative to max |reference|", DefaultValueFactory = _ => T5ReferenceCheck.Tolerance };
        var command = new Command("t5-check", "Check the T5 v1.1 encoder and tokenizer against reference vectors of Hugging Face's equations")
        {
            model, config, spiece, vectors, tokens, bf16, tolerance,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(bf16)) NativeBFloat16.EnsureWorthIt("--bf16");
            string modelPath = parse.GetValue(model)!;
            string vectorsPath = parse.GetValue(vectors)!.FullName;
            var options = new T5EncoderOptions { BFloat16 = parse.GetValue(bf16) };
            var files = T5Checkpoint.WeightFiles(modelPath);
            var t5Config = T5Config.Load(parse.GetValue(config)?.FullName ?? T5Checkpoint.DefaultConfigPath(modelPath));
            var estimate = T5Checkpoint.Estimate(t5Config, files, options);
            Console.WriteLine($"weights: {string.Join(", ", files)}");
            Console.WriteLine($"encoder: {t5Config}");
            Console.WriteLine($"memory: {estimate.ModelName} in {estimate.Precision}: weights {MemoryEstimate.Format(estimate.ModelBytes)}, " +
                $"peak while loading {MemoryEstimate.Format(estimate.LoadBytes)}, needs about {MemoryEstimate.Format(estimate.RequiredBytes)}; " +
                $"available {MemoryEstimate.Format(MachineMemory.AvailableBytes())}");
            using var encoder = T5Checkpoint.Load(modelPath, t5Config, options);
            var tokenizer = parse.GetValue(spiece) is { } s ? T5Tokenizer.Load(s.FullName) : null;
            string? tokensPath = parse.GetValue(tokens)?.FullName ?? DefaultTokensFile(vectorsPath);
            if (tokenizer is not null && tokensPath is null)
                throw new ArgumentException($"--spiece needs a tokens file to check against: pass --tokens (no {Path.GetFileName(vectorsPath)} sibling .json found).");
            var results = T5ReferenceCheck.Run(encoder, vectorsPath, tokenizer, tokensPath, parse.GetValue(tolerance));
            return GroupErrorTable.Print(results, "T5 check");
        });
        return command;
    }

    private static string? DefaultTokensFile(string vectorsPath)
    {
        const string suffix = ".vectors.safetensors";
        if (!vectorsPath.EndsWith(suffix, StringComparison.Ordinal)) return null;
        string json = vectorsPath[..^suffix.Length] + ".json";
        return File.Exists(json) ? json : null;
    }
}
