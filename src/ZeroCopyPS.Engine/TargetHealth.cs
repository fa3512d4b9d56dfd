namespace ZeroCopyPS.Engine;

/// <summary>Whether a target takes new connections.</summary>
public enum TargetHealth
{
    /// <summary>Takes connections.</summary>
    Up = 0,

    /// <summary>Failed too often in a row (or its health check failed); skipped until it answers again.</summary>
    Down = 1,
}
