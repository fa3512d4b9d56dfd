using System.Runtime.InteropServices;

namespace ZeroCopyPS.Engine.Measurement;

/// <summary>
/// CPU time consumed by the calling thread (user + system), from
/// <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>. For measurements: one blittable call, no allocation,
/// so it can bracket a copy without disturbing what it measures. Linux only; elsewhere
/// <see cref="IsSupported"/> is false and <see cref="TryGetCurrentThreadCpuTime"/> returns false.
/// </summary>
public static class ThreadCpuClock
{
    private const int CLOCK_THREAD_CPUTIME_ID = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static extern int clock_gettime(int clockId, out TimeSpec time);

    /// <summary>True when the per-thread CPU clock can be read here (64-bit Linux).</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && Environment.Is64BitProcess && Probe();

    /// <summary>The calling thread's CPU time so far, in nanoseconds; false when not supported.</summary>
    public static bool TryGetCurrentThreadCpuTime(out long nanoseconds)
    {
        nanoseconds = 0;
        if (!IsSupported) return false;
        if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, out TimeSpec time) != 0) return false;
        nanoseconds = time.Seconds * 1_000_000_000L + time.Nanoseconds;
        return true;
    }

    private static bool Probe()
    {
        try
        {
            return clock_gettime(CLOCK_THREAD_CPUTIME_ID, out _) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
