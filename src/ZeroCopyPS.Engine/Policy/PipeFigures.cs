namespace ZeroCopyPS.Engine.Policy;

/// <summary>An engine's pipe figures for a status; all zero where nothing is spliced.</summary>
internal readonly record struct PipeFigures(int InUse, int Idle, int Max, int CapacityBytes, long RefusedTooSmall)
{
    public static readonly PipeFigures None = new(0, 0, 0, 0, 0);
}
