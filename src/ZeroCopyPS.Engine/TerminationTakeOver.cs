namespace ZeroCopyPS.Engine;

/// <summary>
/// One host's claim on SIGTERM (<see cref="ProxyServer.TakeOverTermination"/>): while any claim lives, the
/// engine's SIGTERM hook leaves the proxies to their hosts, which drain them (docs/ARCHITECTURE.md,
/// "Process exit and signals"). Disposing releases the claim once.
/// </summary>
internal sealed class TerminationTakeOver : IDisposable
{
    private static int _claims;
    private int _released;

    public TerminationTakeOver() => Interlocked.Increment(ref _claims);

    /// <summary>True while some host handles SIGTERM itself.</summary>
    public static bool Active => Volatile.Read(ref _claims) > 0;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) Interlocked.Decrement(ref _claims);
    }
}
