namespace ZeroCopyPS.Engine;

/// <summary>
/// Receives what a proxy reports. Called on engine threads: implementations must be quick, thread-safe,
/// and must not throw.
/// </summary>
public interface IProxyObserver
{
    /// <summary>One connection ended (including a connection whose target never answered).</summary>
    void OnConnectionClosed(ConnectionStatistics statistics);

    /// <summary>The engine itself failed and stopped serving.</summary>
    void OnEngineFaulted(Exception error);

    /// <summary>A target went down or came back up (with the reason). Called on any engine thread.</summary>
    void OnTargetStateChanged(TargetStateChange change)
    {
    }
}
