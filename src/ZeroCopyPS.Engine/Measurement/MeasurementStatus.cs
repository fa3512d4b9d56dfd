namespace ZeroCopyPS.Engine.Measurement;

/// <summary>Whether a measurement holds numbers, and if not, why.</summary>
public enum MeasurementStatus
{
    /// <summary>Every counted iteration ran and moved exactly the requested bytes over the requested copy path.</summary>
    Completed = 0,

    /// <summary>Not run, or not kept: the copy path cannot run here (see SkipReason). Never a buffered run relabelled.</summary>
    Skipped = 1,

    /// <summary>A copy failed (a system call error or a peer that never finished); see SkipReason and the error stream.</summary>
    Failed = 2,
}
