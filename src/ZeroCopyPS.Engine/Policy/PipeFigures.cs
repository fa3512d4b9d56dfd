namespace ZeroCopyPS.Engine.Policy;

/// <summary>An engine's pipe figures for a status; all zero (and no sizes) where nothing is spliced.</summary>
internal readonly record struct PipeFigures(int InUse, int Idle, int Max, int CapacityBytes, long RefusedTooSmall)
{
    public static readonly PipeFigures None = new(0, 0, 0, 0, 0);

    public IReadOnlyList<PipeSizeStatus> BySize { get; init; } = [];

    public long MemoryBytes { get; init; }

    public long PeakMemoryBytes { get; init; }

    public long MaxMemoryBytes { get; init; }

    public long Growths { get; init; }

    public long GrowthsRefused { get; init; }

    public long BudgetDenials { get; init; }
}
