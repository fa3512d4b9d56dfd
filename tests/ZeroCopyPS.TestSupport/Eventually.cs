namespace ZeroCopyPS.TestSupport;

/// <summary>
/// Waits for a condition by polling it with a deadline: tests wait on what they expect to happen, never for a
/// fixed time. The Pester twin is Wait-TestCondition in TestHelpers.psm1.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    /// <summary>Returns once <paramref name="condition"/> is true; throws <see cref="TimeoutException"/> naming <paramref name="because"/> after the timeout.</summary>
    public static void True(Func<bool> condition, TimeSpan timeout, string because)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for {because}.");
            Thread.Sleep(Poll);
        }
    }

    /// <summary>The async form, for xunit tests that must not block a thread-pool thread.</summary>
    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string because) => TrueAsync(condition, timeout, because, null);

    /// <summary>
    /// As <see cref="TrueAsync(Func{bool}, TimeSpan, string)"/>; on timeout the message also gives <paramref name="state"/>,
    /// read then (an interpolated <paramref name="because"/> is read before the wait, when the state is not yet the one that failed).
    /// </summary>
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string because, Func<string>? state)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for {because}{(state is null ? "" : $"; at the deadline: {state()}")}.");
            await Task.Delay(Poll).ConfigureAwait(false);
        }
    }
}
