using System.CommandLine;
using FlexiDiT.Checkpoints;
using FlexiDiT.Evaluation;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit caption-gain</c>: whether a text-to-image checkpoint reads its captions yet (see <see cref="CaptionGain"/>).</summary>
internal static class CaptionGainCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<FileInfo>("--checkpoint") { Description = "A text-to-image checkpoint (ema.safetensors or model.safetensors of a train-t2i run)", Required = true };
        var count = new Option<int>("--count") { Description = "Scenes measured", DefaultValueFactory = _ => 48 };
        var seed = new Option<long>("--seed") { Description = "Data and noise seed", DefaultValueFactory = _ => 7 };
        var command = new Command("caption-gain", "How much a text-to-image scenes checkpoint uses its captions: x0 error on the object's pixels with each scene's own caption vs another scene's (ratio 1: captions ignored)")
        { checkpoint, count, seed };
        command.SetAction(parse =>
        {
            using var model = TextToImageCheckpoint.Load(parse.GetValue(checkpoint)!.FullName);
            var levels = CaptionGain.Measure(model, parse.GetValue(count), parse.GetValue(seed));
            Console.WriteLine($"{parse.GetValue(count)} scenes; x0 error (MSE, clipped) on the object's pixels");
            Console.WriteLine("    t   own caption   other caption   other/own");
            foreach (var l in levels) Console.WriteLine($"{l.Timestep,5}   {l.OwnCaption,11:F4}   {l.OtherCaption,13:F4}   {l.Ratio,9:F2}");
            return 0;
        });
        return command;
    }
}
