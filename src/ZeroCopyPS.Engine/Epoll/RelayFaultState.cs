using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// What a relay direction keeps once an injected fault has applied to it (docs/ARCHITECTURE.md, "Fault
/// injection"): its gate, its queue of held chunks and the times the fault path needs. One object, made at
/// the first fault, so a direction that never meets one carries a single null reference.
/// </summary>
internal sealed class RelayFaultState(DirectionFaults gate)
{
    public DirectionFaults Gate { get; set; } = gate;

    public FaultChunkQueue? Queue { get; set; }

    /// <summary>When the source's end of stream was read (SlowClose counts from it).</summary>
    public long SourceEofMs { get; set; }

    /// <summary>LimitData was reported to the connection once.</summary>
    public bool LimitReported { get; set; }

    /// <summary>When the direction wants to run again; long.MaxValue: not by time.</summary>
    public long WakeMs { get; set; } = long.MaxValue;

    /// <summary>When a reset by bytes began waiting for the destination's send queue to empty; 0: not yet.</summary>
    public long ResetDrainSinceMs { get; set; }

    /// <summary>Which fault ended the connection and how.</summary>
    public string? Text { get; set; }
}
