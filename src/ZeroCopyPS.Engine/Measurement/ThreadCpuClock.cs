using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS.Engine.Measurement;

/// <summary>
/// CPU time consumed by the calling thread (user + system), from
/// <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>. For measurements: one blittable call, no allocation,
/// so it can bracket a copy without disturbing what it measures. Linux only; elsewhere
/// <see cref="IsSupported"/> is false and <see cref="TryGetCurrentThreadCpuTime"/> returns false.
/// </summary>
public static unsafe class ThreadCpuClock
{
    private const int CLOCK_THREAD_CPUTIME_ID = 3;

    /// <summary>True when the per-thread CPU clock can be read here (64-bit Linux).</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && Environment.Is64BitProcess && Probe();

    /// <summary>The calling thread's CPU time so far, in nanoseconds; false when not supported.</summary>
    public static bool TryGetCurrentThreadCpuTime(out long nanoseconds)
    {
        nanoseconds = 0;
        if (!IsSupported) return false;
        // struct timespec on 64-bit Linux: seconds, nanoseconds, a long each.
        long* time = stackalloc long[2];
        if (Libc.clock_gettime(CLOCK_THREAD_CPUTIME_ID, time) != 0) return false;
        nanoseconds = time[0] * 1_000_000_000L + time[1];
        return true;
    }

    private static bool Probe()
    {
        try
        {
            long* time = stackalloc long[2];
            return Libc.clock_gettime(CLOCK_THREAD_CPUTIME_ID, time) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
