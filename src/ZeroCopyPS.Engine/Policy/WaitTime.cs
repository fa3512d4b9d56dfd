namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// Turns a configured duration into one a .NET wait accepts: waits take at most int.MaxValue
/// milliseconds (24.8 days) and throw beyond, which once left a proxy half stopped.
/// </summary>
internal static class WaitTime
{
    private static readonly TimeSpan Longest = TimeSpan.FromMilliseconds(int.MaxValue - 1);

    public static TimeSpan Bounded(TimeSpan duration) =>
        duration < TimeSpan.Zero ? TimeSpan.Zero : duration > Longest ? Longest : duration;
}
