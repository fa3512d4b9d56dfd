namespace ZeroCopyPS.Engine;

/// <summary>The pipes of one size class over every loop: in use (holding a burst) and idle in the loops' pools.</summary>
/// <param name="CapacityBytes">The class's capacity (a pipe the kernel granted less than a class sits in the class below).</param>
/// <param name="InUse">Pipes of this class holding a burst now.</param>
/// <param name="Idle">Pipes of this class kept for the next burst.</param>
public sealed record PipeSizeStatus(int CapacityBytes, int InUse, int Idle);
