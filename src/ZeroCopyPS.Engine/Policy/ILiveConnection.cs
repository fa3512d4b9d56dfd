namespace ZeroCopyPS.Engine.Policy;

/// <summary>An open connection as Get-/Stop-ZeroCopyConnection reach it from any thread.</summary>
internal interface ILiveConnection
{
    /// <summary>Any thread, without pausing the engine: counts so far (plain 64-bit reads of counters written by one thread).</summary>
    ConnectionInfo Snapshot();

    /// <summary>
    /// Any thread: closes the connection: reset at once, or, when <paramref name="graceful"/>, stop
    /// reading, deliver what is in flight, then FIN both ways. Its record says <see cref="CloseReason.Closed"/>.
    /// </summary>
    void RequestClose(bool graceful);
}
