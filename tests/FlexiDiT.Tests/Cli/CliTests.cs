using System.Text.Json;
using FlexiDiT.Packs;
using SixLabors.ImageSharp;

namespace FlexiDiT.Tests.Cli;

/// <summary>The commands a user runs, end to end on the shipped model and the reference files.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-cli").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Generate_on_the_shipped_model_writes_viewing_and_native_images_and_reports_flops()
    {
        // Run from an unrelated folder: the shipped pack must be found from wherever the program runs.
        var r = FlexiditProcess.Run(dir, "generate", "a red circle please", "--out", "out/red.png", "--count", "2", "--seed", "3");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        foreach (string name in new[] { "red-1", "red-2" })
        {
            using var view = Image.Load(Path.Combine(dir, "out", name + ".png"));
            using var native = Image.Load(Path.Combine(dir, "out", name + ".native.png"));
            Assert.Equal((256, 256), (view.Width, view.Height));
            Assert.Equal((32, 32), (native.Width, native.Height));
        }
        Assert.Contains("\"red circle\" (class 0)", r.Stdout);
        // The default plan halves the steps: FlexiDiT's saving is stated at the same steps, the steps' saving apart.
        Assert.Matches(@"FLOPs spent, [\d.]+ \w?FLOPs saved: \d+ ?% by FlexiDiT \(same steps and guidance\) × 50 ?% by fewer steps = \d+ ?% saved vs full compute · [\d.]+ s", r.Stdout);
    }

    [Fact]
    public void Trace_draws_one_row_per_recorded_step_and_says_which_step_each_row_is()
    {
        var r = FlexiditProcess.Run(dir, "trace", "a red cross", "--mode", "steps-half-weak30", "--count", "2", "--every", "10", "--out", "trace.png");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        using var grid = Image.Load(Path.Combine(dir, "trace.png"));
        // Steps 1, 11 and 20 of 20; 64-pixel cells with a 2-pixel gap.
        Assert.Equal((2 * 66 + 2, 3 * 66 + 2), (grid.Width, grid.Height));
        Assert.Contains("row 1: x0 predicted at step 1/20 (t = 999, patch 4)", r.Stdout);
        Assert.Contains("row 3: x0 predicted at step 20/20 (t = 0, patch 2)", r.Stdout);

        var bad = FlexiditProcess.Run(dir, "trace", "a red cross", "--count", "40", "--out", "t.png");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("--count must be between 1 and 16", bad.Stderr);
        var guidance = FlexiditProcess.Run(dir, "trace", "a red cross", "--guidance", "0.5", "--out", "t.png");
        Assert.NotEqual(0, guidance.ExitCode);
        Assert.Contains("--guidance must be a finite scale ≥ 1", guidance.Stderr);
    }

    [Fact]
    public void An_unknown_class_is_a_clear_error_listing_the_known_ones()
    {
        var r = FlexiditProcess.Run(dir, "generate", "a pink hexagon", "--out", "x.png");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("red circle", r.Stderr);
        Assert.Contains("white ring", r.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "x.png")));
    }

    [Fact]
    public void An_unknown_mode_and_a_bad_size_are_clear_errors()
    {
        var mode = FlexiditProcess.Run(dir, "generate", "red circle", "--out", "x.png", "--mode", "turbo");
        Assert.Equal(2, mode.ExitCode);
        Assert.Contains("has no plan 'turbo'", mode.Stderr);
        var size = FlexiditProcess.Run(dir, "generate", "red circle", "--out", "x.png", "--size", "100");
        Assert.Equal(2, size.ExitCode);
        Assert.Contains("not a whole multiple", size.Stderr);
    }

    [Fact]
    public void A_device_this_machine_lacks_is_a_clear_error()
    {
        var r = FlexiditProcess.Run(dir, "generate", "red circle", "--out", "x.png", "--device", "cuda:3");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("cuda:3", r.Stderr);
        var bad = FlexiditProcess.Run(dir, "generate", "red circle", "--out", "x.png", "--device", "tpu");
        Assert.Contains("use cpu, cuda or cuda:N", bad.Stderr);
    }

    [Fact]
    public void Reference_check_passes_on_the_official_vectors()
    {
        string reference = TestPaths.ReferenceDirectory;
        var r = FlexiditProcess.Run(dir, "reference-check", "--checkpoint", Path.Combine(reference, "dit_tiny_a.pt"),
            "--config", Path.Combine(reference, "dit_tiny_a.json"), "--vectors", Path.Combine(reference, "dit_tiny_a.vectors.safetensors"));
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("All 8 groups within tolerance", r.Stdout);
    }

    [Fact]
    public void Reference_check_detects_a_pixart_diffusers_file_and_reports_what_it_cannot_run()
    {
        string reference = TestPaths.ReferenceDirectory;
        var r = FlexiditProcess.Run(dir, "reference-check", "--checkpoint", Path.Combine(reference, "pixart_tiny_a.diffusers.safetensors"),
            "--config", Path.Combine(reference, "pixart_tiny_a.diffusers-config.json"), "--vectors", Path.Combine(reference, "pixart_tiny_a.vectors.safetensors"));
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("not runnable from the diffusers file (no y_embedding)", r.Stdout);
        Assert.Matches(@"forward\.nomask\s+\S+\s+\S+\s+1E-004\s+ok", r.Stdout);
    }

    [Fact]
    public void Training_stopped_by_sigterm_writes_its_checkpoint_and_resumes_from_it()
    {
        string run = Path.Combine(dir, "run"), log = Path.Combine(run, "train.log");
        string[] train = ["train", "--run", run, "--depth", "1", "--hidden", "32", "--heads", "2", "--batch", "4", "--steps", "100000", "--log-every", "5"];
        var r = FlexiditProcess.RunAndTerminate(dir, () => File.Exists(log) && File.ReadAllText(log).Contains(" step 10 "), train);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        string summary = FlexiDiT.Training.TrainingLog.LastEntry(log);
        Assert.StartsWith("stopped at step ", summary);
        int stoppedAt = int.Parse(summary.Split(' ')[3]);
        Assert.True(stoppedAt >= 10, summary);

        var resumed = FlexiditProcess.Run(dir, [.. train[..^4], "--steps", (stoppedAt + 2).ToString(), "--log-every", "1"]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr + resumed.Stdout);
        Assert.Contains($"resumed at step {stoppedAt} ", File.ReadAllText(log));
        Assert.StartsWith($"finished at step {stoppedAt + 2} ", FlexiDiT.Training.TrainingLog.LastEntry(log));
    }

    [Fact]
    public void Bench_prints_json_for_each_patch_size()
    {
        var r = FlexiditProcess.Run(dir, "bench", "--json", "--depth", "2", "--hidden", "64", "--repeats", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var results = doc.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal([2, 4], results.Select(e => e.GetProperty("patchSize").GetInt32()));
        Assert.All(results, e => Assert.True(e.GetProperty("medianMs").GetDouble() > 0));
        Assert.True(results[0].GetProperty("flops").GetInt64() > 3 * results[1].GetProperty("flops").GetInt64());
    }

    [Fact]
    public void Bench_pixart_times_the_text_to_image_architecture_and_says_so()
    {
        var r = FlexiditProcess.Run(dir, "bench", "--pixart", "--json", "--depth", "1", "--hidden", "64", "--heads", "2", "--caption-channels", "32", "--caption-tokens", "7", "--caption-kept", "3", "--repeats", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var config = doc.RootElement.GetProperty("config");
        Assert.Equal(32, config.GetProperty("captionChannels").GetInt32());
        Assert.Equal(7, config.GetProperty("captionTokens").GetInt32());
        Assert.Equal(3, config.GetProperty("captionKept").GetInt32());
        var results = doc.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal([2, 4], results.Select(e => e.GetProperty("patchSize").GetInt32()));
        // The caption's cross-attention is FLOPs a DiT of the same size does not have.
        var dit = FlexiditProcess.Run(dir, "bench", "--json", "--depth", "1", "--hidden", "64", "--heads", "2", "--repeats", "1");
        using var ditDoc = JsonDocument.Parse(dit.Stdout);
        Assert.True(results[0].GetProperty("flops").GetInt64() > ditDoc.RootElement.GetProperty("results")[0].GetProperty("flops").GetInt64());

        // By default a sampling step's forward (the caption's keys and values kept); --caption-recomputed: a run's first step.
        Assert.True(config.GetProperty("captionKeysValuesKept").GetBoolean());
        var recomputed = FlexiditProcess.Run(dir, "bench", "--pixart", "--json", "--depth", "1", "--hidden", "64", "--heads", "2", "--caption-channels", "32", "--caption-tokens", "7",
            "--caption-kept", "3", "--repeats", "1", "--caption-recomputed");
        Assert.True(recomputed.ExitCode == 0, recomputed.Stderr);
        using var recomputedDoc = JsonDocument.Parse(recomputed.Stdout);
        Assert.False(recomputedDoc.RootElement.GetProperty("config").GetProperty("captionKeysValuesKept").GetBoolean());
        var pixArt = new FlexiDiT.Models.PixArtConfig { Depth = 1, HiddenSize = 64, NumHeads = 2, CaptionChannels = 32, ModelMaxLength = 7, FlexiPatchSizes = [4] };
        Assert.Equal(pixArt.ConditionFlops(2, 2), recomputedDoc.RootElement.GetProperty("results")[0].GetProperty("flops").GetInt64() - results[0].GetProperty("flops").GetInt64());
    }

    [Fact]
    public void Bench_pixart_sampling_sets_flexidit_s_flops_saving_against_its_time_saving_at_the_same_steps()
    {
        var r = FlexiditProcess.Run(dir, "bench", "--pixart", "--sampling", "--json", "--depth", "1", "--hidden", "64", "--heads", "2", "--caption-channels", "32",
            "--caption-tokens", "7", "--steps", "4", "--rounds", "2", "--batch", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var comparison = doc.RootElement.GetProperty("comparison");
        var full = comparison.GetProperty("full");
        var weak = comparison.GetProperty("weakFirst");
        Assert.Equal((4, 0), (full.GetProperty("steps").GetInt32(), full.GetProperty("weakSteps").GetInt32()));
        Assert.Equal((4, 2), (weak.GetProperty("steps").GetInt32(), weak.GetProperty("weakSteps").GetInt32()));
        var config = new FlexiDiT.Models.PixArtConfig { Depth = 1, HiddenSize = 64, NumHeads = 2, CaptionChannels = 32, ModelMaxLength = 7, FlexiPatchSizes = [4] };
        var plan = FlexiDiT.Sampling.ComputePlan.WeakFirst("w", "ddim4", 2, 4, 2, 2, 4.5, solver: FlexiDiT.Sampling.SolverKind.Ddim);
        Assert.Equal(FlexiDiT.Sampling.SamplingRun.PlanFlops(config, plan, 1) / 1e9, weak.GetProperty("gflopsPerImage").GetDouble(), 9);
        double flopsSaved = comparison.GetProperty("flopsSaved").GetDouble();
        Assert.Equal(1 - (weak.GetProperty("gflopsPerImage").GetDouble() / full.GetProperty("gflopsPerImage").GetDouble()), flopsSaved, 9);
        Assert.True(full.GetProperty("msPerImage").GetDouble() > 0 && weak.GetProperty("msPerImage").GetDouble() > 0);
        Assert.Equal(comparison.GetProperty("timeSaved").GetDouble() / flopsSaved, comparison.GetProperty("timeSavedPerFlopSaved").GetDouble(), 9);
    }

    [SkippableFact]
    public void A_packed_kernel_vector_width_that_cannot_run_here_is_refused_saying_what_to_use()
    {
        Skip.IfNot(FlexiDiT.Engine.PackedGemm.IsSupported, "no AVX2 and FMA here: the packed kernel does not run at all");
        string[] bench = ["bench", "--depth", "1", "--hidden", "64", "--heads", "2", "--repeats", "1", "--linear", "packed"];
        var unknown = FlexiditProcess.Run(dir, new Dictionary<string, string> { ["FLEXIDIT_PACKED_VECTOR"] = "wide" }, bench);
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("FLEXIDIT_PACKED_VECTOR: 'wide' is not a vector width; use 256, 512 or auto", unknown.Stderr);
        var narrow = FlexiditProcess.Run(dir, new Dictionary<string, string> { ["FLEXIDIT_PACKED_VECTOR"] = "256" }, bench);
        Assert.True(narrow.ExitCode == 0, narrow.Stderr);
        Assert.Contains("the engine's AVX2 kernel", narrow.Stdout);

        Skip.If(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, "this CPU runs 512-bit vectors: FLEXIDIT_PACKED_VECTOR=512 is valid here");
        var wide = FlexiditProcess.Run(dir, new Dictionary<string, string> { ["FLEXIDIT_PACKED_VECTOR"] = "512" }, bench);
        Assert.NotEqual(0, wide.ExitCode);
        Assert.Contains("does not run 512-bit vectors natively", wide.Stderr);
        Assert.Contains("use 256", wide.Stderr);
    }

    [SkippableFact]
    public void Bench_linear_compare_times_every_backend_here_at_each_patch_size_against_torch()
    {
        var available = FlexiDiT.Benchmarks.LinearBackendComparison.Available.Select(FlexiDiT.Engine.CpuLinear.Name).ToList();
        Skip.If(available.Count < 2, "neither OpenBLAS nor AVX2 with FMA here: only libtorch multiplies");
        var r = FlexiditProcess.Run(dir, "bench", "--linear", "compare", "--json", "--depth", "1", "--hidden", "64", "--rounds", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        if (FlexiDiT.Engine.OpenBlas.IsAvailable) Assert.StartsWith("OpenBLAS ", doc.RootElement.GetProperty("openBlas").GetString());
        var timings = doc.RootElement.GetProperty("timings").EnumerateArray().ToList();
        Assert.Equal(available.SelectMany(_ => new[] { 2, 4 }).Order(), timings.Select(e => e.GetProperty("patchSize").GetInt32()).Order());
        Assert.Equal(available.Concat(available).Order(), timings.Select(e => e.GetProperty("backend").GetString()!).Order());
        Assert.All(timings, e => Assert.True(e.GetProperty("medianMs").GetDouble() > 0 && e.GetProperty("speedupOverTorch").GetDouble() > 0));
        Assert.All(timings.Where(e => e.GetProperty("backend").GetString() == "torch"), e => Assert.Equal(1.0, e.GetProperty("speedupOverTorch").GetDouble()));
    }

    [Fact]
    public void An_unknown_linear_backend_is_refused_naming_the_choices()
    {
        var r = FlexiditProcess.Run(dir, "bench", "--linear", "mkl", "--depth", "1", "--hidden", "64", "--repeats", "1");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--linear: 'mkl' is not a linear backend; use auto, torch, openblas or packed", r.Stderr);
    }

    [Theory]
    [InlineData("star=2", "circle, square, triangle, cross, ring")]
    [InlineData("cross=-1", "must be a finite number ≥ 0")]
    public void A_bad_shape_weight_is_refused_before_the_run_folder_is_made(string weight, string expected)
    {
        var r = FlexiditProcess.Run(dir, "train", "--run", "run", "--depth", "1", "--hidden", "32", "--heads", "2", "--steps", "1", "--shape-weight", weight);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "run")));
    }

    [Fact]
    public void Bench_training_times_float32_and_bfloat16_steps_and_prints_json()
    {
        var r = FlexiditProcess.Run(dir, "bench", "--training", "--depth", "1", "--hidden", "32", "--heads", "2", "--batch", "4", "--repeats", "2", "--rounds", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var timing = doc.RootElement.GetProperty("timing");
        double f32 = timing.GetProperty("float32SecondsPerStep").GetDouble(), bf16 = timing.GetProperty("bfloat16SecondsPerStep").GetDouble();
        Assert.True(f32 > 0 && bf16 > 0, r.Stdout);
        Assert.Equal(f32 / bf16, timing.GetProperty("speedup").GetDouble(), 1e-9);
        Assert.Equal(4, timing.GetProperty("batch").GetInt32());
    }

    [Fact]
    public void Bench_savings_times_a_weak_plan_against_full_compute_end_to_end_and_labels_whose_saving_it_is()
    {
        var same = FlexiditProcess.Run(dir, "bench", "--savings", "--mode", "full");
        Assert.NotEqual(0, same.ExitCode);
        Assert.Contains("--mode and --reference are both 'full'", same.Stderr);

        var r = FlexiditProcess.Run(dir, "bench", "--savings", "--mode", "weak50", "--requests", "1", "--rounds", "2", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal("full", root.GetProperty("reference").GetProperty("plan").GetString());
        Assert.Equal("weak50", root.GetProperty("plan").GetProperty("plan").GetString());
        Assert.Equal(2, root.GetProperty("plan").GetProperty("images").GetInt32());
        // weak50 runs full compute's steps with half of them weak: a FlexiDiT saving, labelled as such.
        Assert.True(root.GetProperty("sameSteps").GetBoolean());
        Assert.Equal(root.GetProperty("reference").GetProperty("steps").GetInt32(), root.GetProperty("plan").GetProperty("steps").GetInt32());
        Assert.InRange(root.GetProperty("flopsSaved").GetDouble(), 0.2, 0.6);
        Assert.All(new[] { "reference", "plan" }, p => Assert.True(root.GetProperty(p).GetProperty("msPerImage").GetDouble() > 0));
    }

    [Fact]
    public void Flops_of_dit_xl2_match_the_paper()
    {
        var r = FlexiditProcess.Run(dir, "flops", "--dit", "DiT-XL/2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("[118.6", r.Stdout);
    }

    [Fact]
    public void Eval_pairs_bfloat16_with_float32_on_the_same_images_where_the_cpu_has_it_and_refuses_it_elsewhere()
    {
        var float32Only = FlexiditProcess.Run(dir, "eval", "--images", "2", "--plan", "full", "--paired-float32", "--out", "ev32");
        Assert.NotEqual(0, float32Only.ExitCode);
        Assert.Contains("add --precision bfloat16", float32Only.Stderr);

        var r = FlexiditProcess.Run(dir, "eval", "--images", "4", "--batch", "4", "--steps", "10", "--plan", "full", "--precision", "bfloat16", "--paired-float32", "--out", "ev16");
        if (FlexiDiT.Platform.NativeBFloat16.OnThisCpu != true)
        {
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("bfloat16", r.Stderr);
            return;
        }
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "ev16", "precision.json")));
        var full = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal("full", full.GetProperty("plan").GetString());
        Assert.Equal(4, full.GetProperty("reduced").GetProperty("classHits").GetString()!.Length);
        Assert.Equal(4, full.GetProperty("float32").GetProperty("classHits").GetString()!.Length);
        Assert.True(full.GetProperty("speedUp").GetDouble() > 0);
        Assert.Contains("bfloat16 against float32", File.ReadAllText(Path.Combine(dir, "ev16", "plans.md")));
        Assert.Contains("bfloat16", JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "ev16", "plans.json"))).RootElement.GetProperty("measuredOn").GetString());
    }

    [Fact]
    public void Eval_on_a_handful_of_images_writes_the_table_plot_and_grids()
    {
        var r = FlexiditProcess.Run(dir, "eval", "--images", "4", "--batch", "4", "--steps", "10", "--plan", "full", "weak50-g0-wg", "--out", "ev", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var plans = doc.RootElement.GetProperty("plans").EnumerateArray().ToList();
        Assert.Equal(["full", "weak50-g0-wg"], plans.Select(p => p.GetProperty("name").GetString()));
        Assert.Equal(1.0, plans[0].GetProperty("flopsFraction").GetDouble(), 6);
        Assert.InRange(plans[1].GetProperty("flopsFraction").GetDouble(), 0.2, 0.6);
        Assert.All(plans, p => Assert.InRange(p.GetProperty("classAccuracy").GetDouble(), 0, 1));
        // Per-image hits, and each plan paired with full compute on the same images.
        Assert.All(plans, p => Assert.Equal(4, p.GetProperty("classHits").GetString()!.Length));
        Assert.Equal(0.0, plans[0].GetProperty("classVsFull").GetProperty("difference").GetDouble());
        var versusFull = plans[1].GetProperty("classVsFull");
        Assert.InRange(versusFull.GetProperty("difference").GetDouble(), versusFull.GetProperty("low").GetDouble(), versusFull.GetProperty("high").GetDouble());
        Assert.Contains("class vs full, paired (95 % CI)", File.ReadAllText(Path.Combine(dir, "ev", "plans.md")));
        // Four images ask for classes 0–3: circles in four colours, so the by-shape breakdown has circles only.
        Assert.Equal(["circle"], plans[0].GetProperty("classAccuracyByShape").EnumerateObject().Select(e => e.Name));
        // What the four circles were seen as adds up to the four images, and the judge's own accuracy on the
        // real images covers all five shapes.
        var seen = plans[0].GetProperty("shapesSeen").GetProperty("circle").EnumerateObject().ToList();
        Assert.Equal(4, seen.Sum(e => e.Value.GetInt32()));
        int seenAsCircles = seen.Where(e => e.Name == "circle").Sum(e => e.Value.GetInt32());
        Assert.Equal(plans[0].GetProperty("shapeAccuracy").GetDouble(), seenAsCircles / 4.0, 6);
        var judge = doc.RootElement.GetProperty("judgeShapeAccuracyOnReal").EnumerateObject().ToList();
        Assert.Equal(["circle", "square", "triangle", "cross", "ring"], judge.Select(e => e.Name));
        Assert.All(judge, e => Assert.InRange(e.Value.GetDouble(), 0.9, 1.0));
        var markdown = File.ReadAllText(Path.Combine(dir, "ev", "plans.md"));
        // Both plans run the same 10 steps: FlexiDiT's saving is against full compute at those steps, and no step is saved.
        double fullFlops = plans[0].GetProperty("flopsPerImage").GetDouble();
        Assert.All(plans, p => Assert.Equal(fullFlops, p.GetProperty("sameStepsFullFlopsPerImage").GetDouble(), 0));
        Assert.Matches(@"\| weak50-g0-wg \|[^\n]*\| [1-9]\d* % × 0 % \|", markdown);
        Assert.Contains("What the classifier saw, `full`", markdown);
        Assert.Contains("The classifier on the real images of the Fréchet distance, shape accuracy: circle ", markdown);
        foreach (string f in new[] { "plans.json", "plans.md", "plot.png", "grid-full.png", "grid-weak50-g0-wg.png" })
            Assert.True(File.Exists(Path.Combine(dir, "ev", f)), f);
    }

    [Fact]
    public void Pack_turns_an_evaluated_checkpoint_into_a_pack_with_its_card_figures_and_measured_default()
    {
        var shipped = ModelPack.Find();
        var eval = FlexiditProcess.Run(dir, "eval", "--images", "4", "--batch", "4", "--steps", "10", "--plan", "full", "weak30", "--out", "ev");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        // Repacking into a folder must not keep a figure of the model it replaces.
        Directory.CreateDirectory(Path.Combine(dir, "pk"));
        File.WriteAllText(Path.Combine(dir, "pk", "grid-old-plan.png"), "a figure of the previous model");

        var r = FlexiditProcess.Run(dir, "pack", "--checkpoint", shipped.Resolve(shipped.Manifest.Checkpoint),
            "--classifier", shipped.Resolve(shipped.Manifest.Classifier!), "--eval", "ev/plans.json", "--out", "pk", "--name", "my-shapes");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);

        var pack = ModelPack.Load(Path.Combine(dir, "pk"));
        Assert.Equal("my-shapes", pack.Name);
        Assert.Equal(["full", "weak30"], pack.Manifest.Plans.Select(p => p.Name));
        Assert.Contains(pack.Manifest.Defaults.Plan, new[] { "full", "weak30" });
        Assert.Contains($"default plan {pack.Manifest.Defaults.Plan}", r.Stdout);
        Assert.False(File.Exists(Path.Combine(dir, "pk", "grid-old-plan.png")));
        string card = File.ReadAllText(Path.Combine(dir, "pk", "card.md"));
        Assert.Contains($"Default plan: `{pack.Manifest.Defaults.Plan}`", card);
        Assert.Contains("| full |", card);
        foreach (string figure in new[] { "plot.png", "grid-full.png" })
        {
            Assert.True(File.Exists(Path.Combine(dir, "pk", figure)), figure);
            Assert.Contains($"]({figure})", card);
        }

        // The pack is usable as written.
        var generated = FlexiditProcess.Run(dir, "generate", "a blue square", "--model", "pk", "--out", "sq.png");
        Assert.True(generated.ExitCode == 0, generated.Stderr + generated.Stdout);
        Assert.True(File.Exists(Path.Combine(dir, "sq.native.png")));
    }
}
