namespace ZeroCopyPS.Engine.Policy;

/// <summary>What an injected fault demands of a whole connection (<see cref="DirectionFaults.Due"/>).</summary>
internal enum FaultEnd
{
    None,

    /// <summary>Reset both ways (RST), what is queued lost: <see cref="CloseReason.FaultReset"/>.</summary>
    Reset,

    /// <summary>Deliver what was read, then FIN both ways: <see cref="CloseReason.FaultLimit"/>.</summary>
    Limit,
}
