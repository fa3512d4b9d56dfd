namespace ZeroCopyPS.Engine;

/// <summary>
/// A fault injected into a proxy's connections (docs/ARCHITECTURE.md, "Fault injection"): added at start
/// (<see cref="ProxyOptions.Faults"/>) or while running (<see cref="ProxyServer.AddFault"/>), it applies to new
/// and open connections at once and stops when removed. Each connection draws once per fault whether the
/// fault touches it (<see cref="Probability"/>). Only the settings of its <see cref="Kind"/> are used.
/// </summary>
public sealed record ProxyFault
{
    /// <summary>Unique within its proxy (case-insensitive); the statistics name the faults that touched a connection by it.</summary>
    public required string Name { get; init; }

    public required FaultKind Kind { get; init; }

    public FaultDirection Direction { get; init; } = FaultDirection.Both;

    /// <summary>The chance, 0 to 1, that a connection is touched: drawn once per connection and fault.</summary>
    public double Probability { get; init; } = 1.0;

    /// <summary>Latency: the hold-back; SlowClose: how long the FIN waits; Slice: the pause between slices.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Latency: each chunk's delay is drawn from <see cref="Delay"/> ± this; at most <see cref="Delay"/>.</summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>Bandwidth: the pace.</summary>
    public long BytesPerSecond { get; init; }

    /// <summary>Stall: the connection is reset this long after the stall began; zero stalls for ever.</summary>
    public TimeSpan CloseAfter { get; init; }

    /// <summary>ResetAfter and LimitData: the bytes that pass in a direction before the reset or the close; zero: not by bytes.</summary>
    public long Bytes { get; init; }

    /// <summary>ResetAfter: the time after the connection reached its target (or after the fault was added, for an open one); zero: not by time.</summary>
    public TimeSpan After { get; init; }

    /// <summary>Slice: the average size of one write.</summary>
    public int AverageSizeBytes { get; init; }

    /// <summary>Slice: each write's size is drawn from <see cref="AverageSizeBytes"/> ± this; less than the average.</summary>
    public int SizeVariationBytes { get; init; }

    /// <summary>The proxy the fault belongs to; set when it is added.</summary>
    public string? ProxyName { get; init; }

    /// <summary>True when the fault applies to the direction client → target (<paramref name="clientToTarget"/>) or target → client.</summary>
    public bool AppliesTo(bool clientToTarget) =>
        Direction == FaultDirection.Both || (Direction == FaultDirection.ToTarget) == clientToTarget;

    /// <summary>Checks the settings of this fault's kind against <see cref="ProxyOptionLimits"/>; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > ProxyOptionLimits.FaultNameLengthMaximum || Name.Any(char.IsControl))
            throw new ArgumentException($"A fault's Name must be 1 to {ProxyOptionLimits.FaultNameLengthMaximum} printable characters.", nameof(Name));
        if (!Enum.IsDefined(Kind)) throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Kind is not a fault kind.");
        if (!Enum.IsDefined(Direction)) throw new ArgumentOutOfRangeException(nameof(Direction), Direction, "Direction is not a direction.");
        if (!(Probability >= 0 && Probability <= 1))
            throw new ArgumentOutOfRangeException(nameof(Probability), Probability, "Probability must be between 0 and 1.");
        AtMost(Delay, nameof(Delay));
        AtMost(Jitter, nameof(Jitter));
        AtMost(CloseAfter, nameof(CloseAfter));
        AtMost(After, nameof(After));
        switch (Kind)
        {
            case FaultKind.Latency:
                if (Delay == TimeSpan.Zero && Jitter == TimeSpan.Zero)
                    throw new ArgumentOutOfRangeException(nameof(Delay), Delay, "A Latency fault needs a Delay or a Jitter greater than zero.");
                if (Jitter > Delay)
                    throw new ArgumentOutOfRangeException(nameof(Jitter), Jitter, "Jitter must not exceed Delay (a chunk cannot leave before it arrived).");
                break;
            case FaultKind.Bandwidth:
                InRange(BytesPerSecond, ProxyOptionLimits.FaultBytesPerSecondMinimum, ProxyOptionLimits.FaultBytesPerSecondMaximum, nameof(BytesPerSecond));
                break;
            case FaultKind.ResetAfter:
                InRange(Bytes, 0, ProxyOptionLimits.FaultBytesMaximum, nameof(Bytes));
                break;
            case FaultKind.LimitData:
                InRange(Bytes, 0, ProxyOptionLimits.FaultBytesMaximum, nameof(Bytes));
                break;
            case FaultKind.SlowClose:
                if (Delay == TimeSpan.Zero)
                    throw new ArgumentOutOfRangeException(nameof(Delay), Delay, "A SlowClose fault needs a Delay greater than zero.");
                break;
            case FaultKind.Slice:
                InRange(AverageSizeBytes, ProxyOptionLimits.FaultSliceBytesMinimum, ProxyOptionLimits.FaultSliceBytesMaximum, nameof(AverageSizeBytes));
                InRange(SizeVariationBytes, 0, AverageSizeBytes - 1, nameof(SizeVariationBytes));
                break;
        }
    }

    private static void InRange(long value, long minimum, long maximum, string name)
    {
        if (value < minimum || value > maximum)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between {minimum} and {maximum}.");
    }

    private static void AtMost(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must not be negative.");
        if (value > TimeSpan.FromSeconds(ProxyOptionLimits.FaultTimeMaximumSeconds))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at most {TimeSpan.FromSeconds(ProxyOptionLimits.FaultTimeMaximumSeconds)}.");
    }
}
