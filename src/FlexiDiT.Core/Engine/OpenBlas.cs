using System.Runtime.InteropServices;

namespace FlexiDiT.Engine;

/// <summary>
/// OpenBLAS's single-precision matrix product, loaded from the system where it is installed (Debian:
/// <c>apt install libopenblas0-pthread</c>). Nothing is bundled: a machine without it runs every product in libtorch.
/// </summary>
/// <remarks>
/// Why a second BLAS: libtorch's oneMKL (2024.0) takes its generic code path on non-Intel CPUs (<c>MKL_VERBOSE</c>
/// announces "Intel(R) Architecture processors" on an AMD EPYC), and OpenBLAS picks its Zen/Haswell kernels there.
/// </remarks>
public static unsafe class OpenBlas
{
    /// <summary>The names tried, in order: Debian's alternatives link first, then the threaded builds themselves.</summary>
    public static readonly IReadOnlyList<string> LibraryNames =
    [
        "libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
    ];

    /// <summary>The variable that bounds how long OpenBLAS's idle threads poll (2^value cycles); set to 4 unless the user set it.</summary>
    public const string ThreadTimeoutVariable = "OPENBLAS_THREAD_TIMEOUT";

    private const int RowMajor = 101;
    private const int NoTranspose = 111;
    private const int Transpose = 112;

    private static readonly Lazy<Library?> Loaded = new(Load);
    private static readonly Lock ThreadsLock = new();
    private static int threads;

    /// <summary>Gets a value indicating whether a usable OpenBLAS was found.</summary>
    public static bool IsAvailable => Loaded.Value is not null;

    /// <summary>Gets OpenBLAS's own description of its build (version, kernel chosen for this CPU, threading), or null when absent.</summary>
    public static string? Configuration => Loaded.Value?.Configuration;

    /// <summary>
    /// C = A·Bᵀ + β·C for row-major float matrices: A is m×k, B is n×k (a linear layer's weight), C is m×n.
    /// </summary>
    /// <param name="m">Rows of A and C.</param>
    /// <param name="n">Rows of B, columns of C.</param>
    /// <param name="k">Columns of A and B.</param>
    /// <param name="a">A, m×k.</param>
    /// <param name="b">B, n×k.</param>
    /// <param name="beta">1 adds to what C holds (a bias written there first), 0 overwrites it.</param>
    /// <param name="c">C, m×n.</param>
    /// <param name="threadCount">Threads OpenBLAS may use (libtorch's count, so both use the cores alike).</param>
    /// <exception cref="InvalidOperationException">OpenBLAS is not installed.</exception>
    public static void MultiplyByTransposed(int m, int n, int k, float* a, float* b, float beta, float* c, int threadCount)
    {
        var library = Loaded.Value ?? throw new InvalidOperationException(NotInstalledMessage);
        SetThreads(library, threadCount);
        library.Sgemm(RowMajor, NoTranspose, Transpose, m, n, k, 1f, a, k, b, k, beta, c, n);
    }

    private static void SetThreads(Library library, int threadCount)
    {
        lock (ThreadsLock)
        {
            // The count is global to OpenBLAS; setting it only on change keeps the call off the hot path.
            if (threads != threadCount)
            {
                library.SetThreads(threadCount);
                threads = threadCount;
            }
        }
    }

    /// <summary>Gets the message that says how to install OpenBLAS.</summary>
    public static string NotInstalledMessage =>
        $"OpenBLAS is not installed (tried {string.Join(", ", LibraryNames)}); on Debian or Ubuntu: apt install libopenblas0-pthread";

    private static Library? Load()
    {
        // After a product OpenBLAS's worker threads keep polling for the next one, by default for about 2^28 cycles
        // (0.1 s): long enough to take a core from the libtorch ops in between. On the 2-core AMD EPYC the ops right after
        // a product ran about twice as long (`bench --profile` at DiT-S/2, two runs: attention core 57 → 32 ms, GELU
        // 39 → 21 ms with 2^4; with it they matched a run without OpenBLAS). OpenBLAS reads the variable when it loads.
        NativeEnvironment.SetUnlessSet(ThreadTimeoutVariable, "4");
        foreach (var name in LibraryNames)
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            if (NativeLibrary.TryGetExport(handle, "cblas_sgemm", out var sgemm)
                && NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var setThreads)
                && NativeLibrary.TryGetExport(handle, "openblas_get_config", out var config))
            {
                var description = Marshal.PtrToStringUTF8(((delegate* unmanaged<nint>)config)()) ?? "OpenBLAS";
                return new Library(
                    (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm,
                    (delegate* unmanaged<int, void>)setThreads,
                    description.Trim());
            }

            NativeLibrary.Free(handle);
        }

        return null;
    }

    private sealed class Library(
        delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> sgemm,
        delegate* unmanaged<int, void> setThreads,
        string configuration)
    {
        public string Configuration { get; } = configuration;

        public void Sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
            sgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

        public void SetThreads(int count) => setThreads(count);
    }
}
