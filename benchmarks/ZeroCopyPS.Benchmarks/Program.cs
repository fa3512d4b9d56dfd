using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ZeroCopyPS.Benchmarks;

/// <summary>
/// BenchmarkDotNet's switcher, with an exit code CI can trust: BenchmarkDotNet itself exits 0 when a
/// filter matches nothing or a Debug build makes it refuse to run. Here: 0 when every selected benchmark
/// ran, 1 when none ran, 2 when some failed.
/// </summary>
public static class Program
{
    private static readonly string[] InfoOnlyArguments = { "--list", "--help", "-h", "-?", "--version", "--info" };

    public static int Main(string[] args)
    {
        Summary[] summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, DefaultConfig.Instance).ToArray();
        if (args.Any(a => InfoOnlyArguments.Contains(a, StringComparer.OrdinalIgnoreCase))) return 0;

        int succeeded = summaries.Sum(s => s.Reports.Count(r => r.Success));
        int failed = summaries.Sum(s => s.Reports.Count(r => !r.Success)) + summaries.Count(s => s.HasCriticalValidationErrors);
        Console.WriteLine($"ZeroCopyPS.Benchmarks: {succeeded} benchmark case(s) succeeded, {failed} failed or invalid.");
        if (succeeded == 0)
        {
            Console.WriteLine("ZeroCopyPS.Benchmarks: no benchmark ran successfully (a filter that matches nothing, a Debug build, or every case failed).");
            return 1;
        }
        return failed > 0 ? 2 : 0;
    }
}
