namespace ZeroCopyPS.Engine;

/// <summary>Which directions of a connection a fault applies to.</summary>
public enum FaultDirection
{
    /// <summary>Both directions.</summary>
    Both = 0,

    /// <summary>Client → target (Toxiproxy's upstream).</summary>
    ToTarget = 1,

    /// <summary>Target → client (Toxiproxy's downstream).</summary>
    ToClient = 2,
}
