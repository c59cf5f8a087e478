namespace FlexiDiT.Diffusion;

/// <summary>
/// Which of the original timesteps a shortened sampler visits, exactly as the official
/// <c>space_timesteps</c>: <c>"250"</c> or <c>"25,25"</c> (evenly strided sections, Python's
/// round-half-to-even), or <c>"ddim50"</c> (DDIM's fixed integer stride).
/// </summary>
public static class Respacing
{
    /// <summary>The sorted original timesteps kept by <paramref name="spec"/> out of <paramref name="numTimesteps"/>.</summary>
    public static int[] Timesteps(int numTimesteps, string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        spec = spec.Trim();
        if (spec.StartsWith("ddim", StringComparison.OrdinalIgnoreCase))
        {
            if (!int.TryParse(spec[4..], out int desired) || desired <= 0)
                throw new ArgumentException($"Respacing '{spec}': expected ddimN with a positive N.", nameof(spec));
            for (int stride = 1; stride < numTimesteps; stride++)
            {
                int[] steps = Enumerable.Range(0, (numTimesteps + stride - 1) / stride).Select(k => k * stride).ToArray();
                if (steps.Length == desired) return steps;
            }
            throw new ArgumentException($"Respacing '{spec}': cannot create exactly {desired} steps with an integer stride over {numTimesteps}.", nameof(spec));
        }

        int[] counts;
        try
        {
            counts = spec.Split(',').Select(s => int.Parse(s.Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException)
        {
            throw new ArgumentException($"Respacing '{spec}': expected step counts like \"250\", \"25,25\" or \"ddim50\".", nameof(spec));
        }
        int sizePer = numTimesteps / counts.Length, extra = numTimesteps % counts.Length, start = 0;
        var all = new SortedSet<int>();
        for (int i = 0; i < counts.Length; i++)
        {
            int size = sizePer + (i < extra ? 1 : 0), count = counts[i];
            if (count <= 0 || size < count)
                throw new ArgumentException($"Respacing '{spec}': cannot take {count} steps from a section of {size}.", nameof(spec));
            double stride = count <= 1 ? 1 : (size - 1) / (double)(count - 1);
            double cursor = 0;
            for (int k = 0; k < count; k++)
            {
                all.Add(start + (int)Math.Round(cursor, MidpointRounding.ToEven));
                cursor += stride;
            }
            start += size;
        }
        return [.. all];
    }
}
