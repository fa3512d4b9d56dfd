using System.Diagnostics;

namespace ZeroCopyPS.Engine.Measurement;

/// <summary>
/// Summary of a series of Stopwatch-tick samples: mean, median and nearest-rank percentiles.
/// Sorts a copy, so the caller's samples keep their order (the order iterations ran in).
/// </summary>
internal readonly struct TimingStatistics
{
    private TimingStatistics(int count, double meanNanoseconds, double medianNanoseconds, double p99Nanoseconds, double minNanoseconds, double maxNanoseconds)
    {
        Count = count;
        MeanNanoseconds = meanNanoseconds;
        MedianNanoseconds = medianNanoseconds;
        P99Nanoseconds = p99Nanoseconds;
        MinNanoseconds = minNanoseconds;
        MaxNanoseconds = maxNanoseconds;
    }

    public int Count { get; }
    public double MeanNanoseconds { get; }
    public double MedianNanoseconds { get; }
    public double P99Nanoseconds { get; }
    public double MinNanoseconds { get; }
    public double MaxNanoseconds { get; }

    public static double TicksToNanoseconds(long stopwatchTicks) => stopwatchTicks * (1_000_000_000.0 / Stopwatch.Frequency);

    /// <summary>Statistics of the first <paramref name="count"/> samples (Stopwatch ticks).</summary>
    public static TimingStatistics FromTicks(long[] samples, int count)
    {
        if (count <= 0) return default;
        long[] sorted = samples.AsSpan(0, count).ToArray();
        Array.Sort(sorted);
        double sum = 0;
        foreach (long sample in sorted) sum += sample;
        return new TimingStatistics(
            count,
            TicksToNanoseconds(1) * sum / count,
            Median(sorted),
            TicksToNanoseconds(Percentile(sorted, 0.99)),
            TicksToNanoseconds(sorted[0]),
            TicksToNanoseconds(sorted[^1]));
    }

    /// <summary>Nearest-rank percentile (the value below which <paramref name="fraction"/> of the samples lie, inclusive).</summary>
    public static long Percentile(long[] sorted, double fraction)
    {
        int rank = (int)Math.Ceiling(fraction * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static double Median(long[] sorted)
    {
        int middle = sorted.Length / 2;
        double ticks = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + (double)sorted[middle]) / 2;
        return TicksToNanoseconds(1) * ticks;
    }

    /// <summary>TimeSpan has 100 ns ticks; rounding keeps sub-tick means honest instead of truncating them.</summary>
    public static TimeSpan ToTimeSpan(double nanoseconds) => TimeSpan.FromTicks((long)Math.Round(nanoseconds / 100.0));
}
