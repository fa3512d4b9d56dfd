namespace ZeroCopyPS.Engine.Tests.Support;

/// <summary>Polls a condition until it holds or a deadline passes: tests wait on events, never on fixed sleeps.</summary>
public static class Eventually
{
    public static async Task<bool> TrueAsync(Func<bool> condition, TimeSpan timeout, int pollMilliseconds = 20)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (condition()) return true;
            if (DateTime.UtcNow >= deadline) return false;
            await Task.Delay(pollMilliseconds);
        }
    }
}
