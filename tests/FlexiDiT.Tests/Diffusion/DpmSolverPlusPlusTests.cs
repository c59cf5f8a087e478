using FlexiDiT.Checkpoints;
using FlexiDiT.Diffusion;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Diffusion;

/// <summary>DPM-Solver++(2M) against the official code's times and against the exact ODE of a Gaussian data distribution.</summary>
public class DpmSolverPlusPlusTests
{
    private static readonly NoiseScheduleVP Schedule = NoiseScheduleVP.Linear();

    [Fact]
    public void Times_and_model_times_are_the_official_ones()
    {
        var vectors = SafetensorsFile.Read(TestPaths.Reference("pixart_tiny_a.vectors.safetensors"), name => name.StartsWith("dpms10.", StringComparison.Ordinal));
        using var solver = new DpmSolverPlusPlus(Schedule, 10);
        Assert.Equal(vectors["dpms10.time_steps"].data<float>().ToArray(), solver.Times);
        Assert.Equal(vectors["dpms10.model_t"].data<float>().ToArray(), solver.ModelTimes);
        using var t = solver.ModelTimesteps(5, 3, CPU);
        Assert.Equal(ScalarType.Float32, t.dtype);
        Assert.Equal([499.50003f, 499.50003f, 499.50003f], t.data<float>().ToArray());
    }

    [Fact]
    public void The_first_step_is_first_order_and_below_ten_steps_the_last_one_too()
    {
        static int[] Orders(DpmSolverPlusPlus s) => Enumerable.Range(0, s.Steps).Select(s.OrderOf).ToArray();
        using var ten = new DpmSolverPlusPlus(Schedule, 10);
        using var five = new DpmSolverPlusPlus(Schedule, 5);
        using var fiveHigh = new DpmSolverPlusPlus(Schedule, 5, lowerOrderFinal: false);
        Assert.Equal([1, 2, 2, 2, 2, 2, 2, 2, 2, 2], Orders(ten));
        Assert.Equal([1, 2, 2, 2, 1], Orders(five));
        Assert.Equal([1, 2, 2, 2, 2], Orders(fiveHigh));
    }

    [Fact]
    public void Three_steps_follow_the_papers_update_rule_written_out_in_float64()
    {
        // Lu et al. 2022, DPM-Solver++(2M): x̃0_i = (x_i − σ_i ε_i)/α_i; x_{i+1} = (σ_{i+1}/σ_i) x_i − α_{i+1}(e^{−h} − 1)·D,
        // D = x̃0_i (first order: the first step, and the last one below 10 steps) or (1 + 1/2r) x̃0_i − (1/2r) x̃0_{i−1}
        // with r = h_{i}/h_{i+1} the ratio of the previous to the current λ step.
        double[] x0 = [0.7, -1.3, 2.1, 0.05];
        double[][] eps = [[0.3, -0.9, 1.1, 0.2], [-0.4, 0.8, 0.1, -1.5], [1.2, 0.6, -0.7, 0.9]];
        using var solver = new DpmSolverPlusPlus(Schedule, 3);
        double[] t = solver.Times.Select(v => (double)v).ToArray();
        double A(int i) => Schedule.MarginalAlpha(t[i]);
        double S(int i) => Schedule.MarginalStd(t[i]);
        double H(int i) => Schedule.MarginalLambda(t[i]) - Schedule.MarginalLambda(t[i - 1]);
        var expected = (double[])x0.Clone();
        double[]? previous = null;
        for (int i = 0; i < 3; i++)
        {
            var current = expected.Select((x, k) => (x - S(i) * eps[i][k]) / A(i)).ToArray();
            double h = H(i + 1), phi = Math.Exp(-h) - 1;
            double[] d = i == 1
                ? current.Select((c, k) => (1 + 1 / (2 * (H(i) / h))) * c - 1 / (2 * (H(i) / h)) * previous![k]).ToArray()
                : current;
            expected = expected.Select((x, k) => S(i + 1) / S(i) * x - A(i + 1) * phi * d[k]).ToArray();
            previous = current;
        }

        using var scope = NewDisposeScope();
        var sample = tensor(x0, float64).reshape(1, 4, 1, 1);
        for (int i = 0; i < 3; i++)
            sample = solver.Step(i, tensor(eps[i], float64).reshape(1, 4, 1, 1), sample).Sample;
        var actual = sample.flatten().data<double>().ToArray();
        for (int k = 0; k < 4; k++) Assert.Equal(expected[k], actual[k], 1e-12);
    }

    /// <summary>
    /// For data x₀ ~ N(0, s²) the exact noise prediction is ε(x, t) = σ_t x/(α_t² s² + σ_t²), and the probability-flow
    /// ODE maps x_T to x_T·√(v(t)/v(T)) with v = α²s² + σ²: the solver must converge to that, at second order.
    /// </summary>
    [Fact]
    public void On_gaussian_data_the_solver_converges_to_the_exact_ode_solution_at_second_order()
    {
        const double s = 0.5;
        double V(double t) => Math.Pow(Schedule.MarginalAlpha(t) * s, 2) + Math.Pow(Schedule.MarginalStd(t), 2);
        double Error(int steps)
        {
            using var scope = NewDisposeScope();
            using var solver = new DpmSolverPlusPlus(Schedule, steps);
            var xT = tensor(new[] { 1.0, -2.0, 0.5, 3.0 }, float64).reshape(1, 4, 1, 1);
            var x = xT;
            for (int i = 0; i < steps; i++)
            {
                double t = solver.Times[i];
                x = solver.Step(i, x * (Schedule.MarginalStd(t) / V(t)), x).Sample;
            }
            double end = solver.Times[^1], start = solver.Times[0];
            var exact = xT * Math.Sqrt(V(end) / V(start));
            return (x - exact).abs().max().item<double>() / exact.abs().max().item<double>();
        }

        // Uniform steps in t are coarse in λ near t = 1/N, so the error falls late: 1.4e-2, 3.4e-3, 8.1e-4 (the same
        // from an independent float64 transcription of the official loop).
        double e100 = Error(100), e200 = Error(200), e400 = Error(400);
        Assert.True(e400 < 1e-3, $"400 steps: relative error {e400:E2}");
        // Halving the step size divides a second-order method's error by about four.
        Assert.InRange(e100 / e200, 3.5, 4.5);
        Assert.InRange(e200 / e400, 3.5, 4.5);
    }

    [Fact]
    public void The_sample_loop_equals_stepping_by_hand_and_feeds_the_model_fractional_times()
    {
        using var scope = NewDisposeScope();
        var xT = randn([2, 4, 3, 3], generator: new Generator(7));
        var seen = new List<float>();
        Tensor Eps(Tensor x, Tensor t)
        {
            seen.Add(t[0].item<float>());
            return torch.tanh(x) * 0.5 + t.reshape(-1, 1, 1, 1) / 1000;
        }
        using var looped = new DpmSolverPlusPlus(Schedule, 6);
        var result = looped.Sample(xT, Eps);
        Assert.Equal(looped.ModelTimes, seen);

        using var stepped = new DpmSolverPlusPlus(Schedule, 6);
        var x = xT;
        for (int i = 0; i < 6; i++) x = stepped.Step(i, Eps(x, stepped.ModelTimesteps(i, 2, CPU)), x).Sample;
        Assert.True(torch.equal(result, x).all().item<bool>(), "the loop must be the steps");
    }

    [Fact]
    public void Variance_channels_are_ignored_and_steps_run_in_order()
    {
        using var scope = NewDisposeScope();
        var x = randn([1, 4, 2, 2], generator: new Generator(3));
        var eps = randn([1, 4, 2, 2], generator: new Generator(4));
        using var a = new DpmSolverPlusPlus(Schedule, 4);
        using var b = new DpmSolverPlusPlus(Schedule, 4);
        var withVariance = a.Step(0, cat([eps, full_like(eps, 9f)], 1), x).Sample;
        Assert.True(torch.equal(withVariance, b.Step(0, eps, x).Sample).all().item<bool>());
        var error = Assert.Throws<InvalidOperationException>(() => a.Step(2, eps, x));
        Assert.Contains("step 1 is next", error.Message);
        Assert.Throws<ArgumentException>(() => a.Step(1, eps[.., ..3], x));
    }
}
