using static TorchSharp.torch;

namespace FlexiDiT.Diffusion;

/// <summary>
/// Multistep DPM-Solver++ of order 2 (Lu et al. 2022), PixArt-α's default sampler, as the official
/// <c>DPM_Solver(algorithm_type="dpmsolver++").sample(x, steps, order=2, skip_type="time_uniform",
/// method="multistep", lower_order_final=True, solver_type="dpmsolver")</c> runs it: one model evaluation per step,
/// times uniform from T = 1 to 1/N, data prediction x₀ = (x − σ_t ε)/α_t, the first step first-order, and below
/// 10 steps the last step first-order too. No thresholding, no final denoising to t = 0.
/// </summary>
/// <remarks>
/// A solver is the state of one sampling run (it keeps the previous step's x₀ for the second-order update): step
/// it with <see cref="Step"/> in order 0, 1, ..., <see cref="Steps"/> − 1, each with the model's ε at
/// <see cref="ModelTimesteps"/>. The step coefficients are evaluated in float64 and applied to the tensors as
/// scalars in the official order of operations.
/// </remarks>
public sealed class DpmSolverPlusPlus : IDisposable
{
    private readonly float[] times, modelTimes;
    private Tensor? previousPrediction;
    private int nextStep;

    /// <summary>A solver of <paramref name="steps"/> model evaluations on <paramref name="schedule"/>.</summary>
    /// <param name="schedule">The forward process.</param>
    /// <param name="steps">Model evaluations (the official <c>steps</c>); at least 2, as the official asserts for order 2.</param>
    /// <param name="lowerOrderFinal">Take the last step first-order when there are fewer than 10 steps (the official default).</param>
    public DpmSolverPlusPlus(NoiseScheduleVP schedule, int steps, bool lowerOrderFinal = true)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (steps < 2)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, "Second-order DPM-Solver++ needs at least 2 steps.");
        Schedule = schedule;
        Steps = steps;
        LowerOrderFinal = lowerOrderFinal;
        // get_time_steps('time_uniform'): torch.linspace(T, 1/N, steps + 1) in float32.
        using (var grid = linspace(schedule.EndTime, schedule.StartTime, steps + 1, dtype: float32))
            times = grid.data<float>().ToArray();
        modelTimes = times[..^1].Select(schedule.ModelTime).ToArray();
    }

    /// <summary>The forward process.</summary>
    public NoiseScheduleVP Schedule { get; }
    /// <summary>Number of steps, each one model evaluation.</summary>
    public int Steps { get; }
    /// <summary>Whether the last step is first-order below 10 steps.</summary>
    public bool LowerOrderFinal { get; }
    /// <summary>The continuous times t_0 = 1 &gt; ... &gt; t_Steps = 1/N (float32 values): step i goes from t_i to t_{i+1}.</summary>
    public IReadOnlyList<float> Times => times;
    /// <summary>The time label the model is fed at step i: (t_i − 1/N)·1000 (fractional).</summary>
    public IReadOnlyList<float> ModelTimes => modelTimes;

    /// <summary>The order of step <paramref name="step"/>: 1 for the first, then 2 (1 again for the last below 10 steps).</summary>
    public int OrderOf(int step)
    {
        CheckStep(step);
        if (step == 0) return 1;
        // The official's loop variable is the index of the step's end time, step + 1.
        return LowerOrderFinal && Steps < 10 ? Math.Min(2, Steps - step) : 2;
    }

    /// <summary>The model's time input for step <paramref name="step"/>: <paramref name="count"/> copies, float32.</summary>
    public Tensor ModelTimesteps(int step, int count, Device device)
    {
        CheckStep(step);
        return full(count, modelTimes[step], dtype: float32, device: device);
    }

    /// <summary>
    /// Advances from t_step to t_{step+1} given the model output at (x, t_step); steps must come in order.
    /// </summary>
    /// <param name="step">The step, 0 to <see cref="Steps"/> − 1.</param>
    /// <param name="modelOutput">The (guided) ε, or ε followed by variance channels, which are ignored.</param>
    /// <param name="x">The sample at t_step.</param>
    /// <param name="clipDenoised">Clamp x₀ to [-1, 1] before using it (a corrector of x₀; the official samples without one).</param>
    /// <returns>The sample at t_{step+1} and the x₀ predicted at t_step.</returns>
    public SolverStep Step(int step, Tensor modelOutput, Tensor x, bool clipDenoised = false)
    {
        ArgumentNullException.ThrowIfNull(modelOutput);
        ArgumentNullException.ThrowIfNull(x);
        CheckStep(step);
        if (step != nextStep)
            throw new InvalidOperationException($"DPM-Solver++ steps run in order: step {nextStep} is next, not {step}.");
        if (x.dim() < 2 || modelOutput.dim() != x.dim())
            throw new ArgumentException($"x must be (N, C, ...) and the model output of the same rank; got x {string.Join("x", x.shape)} and output {string.Join("x", modelOutput.shape)}.", nameof(modelOutput));
        long c = x.shape[1];
        if (modelOutput.shape[1] != c && modelOutput.shape[1] != 2 * c)
            throw new ArgumentException($"The model output has {modelOutput.shape[1]} channels; expected ε ({c}) or ε and variance ({2 * c}).", nameof(modelOutput));
        var eps = modelOutput.shape[1] == c ? modelOutput : modelOutput.narrow(1, 0, c);

        double s = times[step], t = times[step + 1];
        // data_prediction_fn: x0 = (x − σ_s ε) / α_s.
        var prediction = (x - eps * Schedule.MarginalStd(s)) / Schedule.MarginalAlpha(s);
        if (clipDenoised) prediction = prediction.clamp(-1, 1);

        double lambdaS = Schedule.MarginalLambda(s), lambdaT = Schedule.MarginalLambda(t);
        double h = lambdaT - lambdaS;
        double alphaT = Schedule.MarginalAlpha(t), sigmaRatio = Schedule.MarginalStd(t) / Schedule.MarginalStd(s);
        double alphaPhi = alphaT * ExpM1(-h); // α_t·φ₁, φ₁ = e^{−h} − 1
        Tensor next;
        if (OrderOf(step) == 1)
        {
            // dpm_solver_first_update: x_t = (σ_t/σ_s) x − α_t φ₁ x0_s.
            next = x * sigmaRatio - prediction * alphaPhi;
        }
        else
        {
            // multistep_dpm_solver_second_update, 'dpmsolver' type: with r₀ = h₀/h and D₁ = (x0_s − x0_prev)/r₀,
            // x_t = (σ_t/σ_s) x − α_t φ₁ x0_s − ½ α_t φ₁ D₁.
            double h0 = lambdaS - Schedule.MarginalLambda(times[step - 1]);
            double r0 = h0 / h;
            var d1 = (prediction - previousPrediction!) * (1 / r0);
            next = x * sigmaRatio - prediction * alphaPhi - d1 * (0.5 * alphaPhi);
        }

        // The run keeps this step's x0 for the next; the caller's scope owns the returned handle.
        previousPrediction?.Dispose();
        previousPrediction = prediction.detach();
        previousPrediction.DetachFromDisposeScope();
        nextStep++;
        return new SolverStep(next, prediction);
    }

    /// <summary>
    /// Runs every step from <paramref name="xT"/> with a noise-prediction function (x, model time) → ε, already
    /// guided: the whole official <c>sample</c> loop, for callers that evaluate the model themselves.
    /// </summary>
    public Tensor Sample(Tensor xT, Func<Tensor, Tensor, Tensor> noisePrediction)
    {
        ArgumentNullException.ThrowIfNull(xT);
        ArgumentNullException.ThrowIfNull(noisePrediction);
        var x = xT;
        for (int step = 0; step < Steps; step++)
        {
            using var scope = NewDisposeScope();
            var eps = noisePrediction(x, ModelTimesteps(step, (int)x.shape[0], x.device));
            var next = Step(step, eps, x).Sample.MoveToOuterDisposeScope();
            if (!ReferenceEquals(x, xT)) x.Dispose();
            x = next;
        }
        return x;
    }

    private static double ExpM1(double v) => Math.Abs(v) < 1e-5 ? v + 0.5 * v * v : Math.Exp(v) - 1;

    private void CheckStep(int step)
    {
        if (step < 0 || step >= Steps)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"Steps run 0..{Steps - 1}.");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        previousPrediction?.Dispose();
        previousPrediction = null;
    }
}
