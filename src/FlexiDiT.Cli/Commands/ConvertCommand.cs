using System.CommandLine;
using FlexiDiT.Checkpoints;
using FlexiDiT.Platform;
using FlexiDiT.Training;

namespace FlexiDiT.Cli.Commands;

/// <summary>
/// <c>flexidit convert</c>: a DiT, a PixArt-α or a text-to-image scenes checkpoint → a FlexiDiT with a weak patch size,
/// fine-tuned by distillation (or, on data, the denoising loss).
/// </summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var from = new Option<FileInfo>("--from") { Description = "Base DiT or PixArt-α checkpoint (official .pt/.pth/.safetensors, diffusers PixArt, or this project's), or the ema.safetensors of a train-t2i run", Required = true };
        var config = new Option<FileInfo?>("--config") { Description = "Base config JSON (official names); optional for this project's files" };
        var weak = new Option<int>("--weak-patch") { DefaultValueFactory = _ => 4, Description = "Weak patch size to add (2× the original)" };
        var output = new Option<FileInfo>("--out") { Description = "FlexiDiT checkpoint to write (.safetensors)", Required = true };
        var rank = new Option<int>("--lora-rank") { DefaultValueFactory = _ => 16, Description = "LoRA rank of the weak size's adapters (0: none)" };
        var guidance = new Option<double>("--guidance") { DefaultValueFactory = _ => 4.0, Description = "Guidance scale of --loss guided (the scale the plans sample with)" };
        var cooldown = new Option<double>("--cooldown") { Description = "Decay the learning rate linearly to zero over this last fraction of the budget (e.g. 0.3)" };
        var loss = new Option<ConversionLoss?>("--loss")
        {
            Description = "distill, denoise, both, or guided (distils the classifier-free-guided output too); default distill, and for a text-to-image scenes checkpoint denoise (its training loss)",
        };
        var bf16 = new Option<bool>("--bf16") { Description = "Forwards and backward in bfloat16 on a copy of the model, float32 weights (faster only on CPUs with AVX512-BF16)" };
        var dataFree = new Option<bool>("--data-free") { Description = "Distil on the teacher's own sampling trajectories (no data set)" };
        var steps = new Option<int?>("--steps") { Description = "Fine-tuning steps (0: initialisation only)" };
        var minutes = new Option<double?>("--minutes") { Description = "Fine-tuning time limit" };
        var minTimestep = new Option<int>("--min-timestep") { Description = "Train the weak size only at timesteps ≥ this (of 1000): weak-first plans never run it on the least noisy steps" };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 32, Description = "Images per step" };
        var lr = new Option<double?>("--lr") { Description = "AdamW learning rate (default 5e-4 for a DiT, 8e-4 for PixArt-α and text-to-image scenes)" };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "AdamW weight decay (default 0 for a DiT, 1e-2 for PixArt-α and text-to-image scenes)" };
        var clip = new Option<double?>("--grad-clip") { Description = "Gradient-norm clip (default 1 for a DiT, 0.02 for PixArt-α and text-to-image scenes)" };
        var captions = new Option<FileInfo?>("--captions") { Description = "PixArt-α: prompts (one per line) that the distillation trajectories are conditioned on (default: the null caption)" };
        var textEncoder = new Option<DirectoryInfo?>("--text-encoder") { Description = "PixArt-α: the T5 folder (config.json, weights, spiece.model) that encodes --captions" };
        var minSnr = new Option<double?>("--min-snr") { Description = "Min-SNR-γ weighting of the denoising loss (give the base model's, e.g. 5; default: unweighted)" };
        var run = new Option<DirectoryInfo?>("--run") { Description = "Text-to-image scenes: resumable run folder (default: --out without extension + -run); a conversion started again on it resumes" };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => 1, Description = "Seed" };
        var command = new Command("convert", "Convert a DiT, PixArt-α or text-to-image scenes checkpoint into a FlexiDiT (PI-resize initialisation + fine-tuning of the weak patch size)")
        { from, config, weak, output, rank, loss, guidance, cooldown, dataFree, minTimestep, steps, minutes, batch, lr, weightDecay, clip, captions, textEncoder, minSnr, run, seed, bf16 };
        command.SetAction((parse, cancellationToken) =>
        {
            if (parse.GetValue(bf16)) NativeBFloat16.EnsureWorthIt("--bf16");
            string baseCheckpoint = parse.GetValue(from)!.FullName;
            var options = new ConvertOptions
            {
                BaseCheckpoint = baseCheckpoint,
                BaseConfig = parse.GetValue(config)?.FullName,
                Output = parse.GetValue(output)!.FullName,
                WeakPatch = parse.GetValue(weak),
                LoraRank = parse.GetValue(rank),
                Loss = parse.GetValue(loss) ?? (TextToImageCheckpoint.IsTextToImage(baseCheckpoint) ? ConversionLoss.Denoise : ConversionLoss.Distill),
                GuidanceScale = parse.GetValue(guidance),
                CooldownFraction = parse.GetValue(cooldown),
                DataFree = parse.GetValue(dataFree),
                BFloat16 = parse.GetValue(bf16),
                MaxSteps = parse.GetValue(steps),
                MaxTime = parse.GetValue(minutes) is { } m ? TimeSpan.FromMinutes(m) : null,
                MinTimestep = parse.GetValue(minTimestep),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                WeightDecay = parse.GetValue(weightDecay),
                GradClip = parse.GetValue(clip),
                CaptionsPath = parse.GetValue(captions)?.FullName,
                TextEncoderPath = parse.GetValue(textEncoder)?.FullName,
                MinSnrGamma = parse.GetValue(minSnr),
                RunDirectory = parse.GetValue(run)?.FullName,
                Seed = parse.GetValue(seed),
            };
            if (options.MaxSteps is null && options.MaxTime is null)
                throw new ArgumentException("Give --steps or --minutes (use --steps 0 for the initialisation only).");
            var result = new FlexiConverter(options).Run(cancellationToken);
            Console.WriteLine($"converted in {result.Steps} steps ({result.Elapsed:hh\\:mm\\:ss}); distillation loss {result.FirstLoss:F5} → {result.FinalLoss:F5}; wrote {result.Output}");
            return Task.FromResult(0);
        });
        return command;
    }
}
