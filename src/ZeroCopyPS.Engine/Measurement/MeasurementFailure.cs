namespace ZeroCopyPS.Engine.Measurement;

/// <summary>What went wrong in a measurement; the cmdlet layer gives each its own error id.</summary>
public enum MeasurementFailure
{
    /// <summary>The loopback socket pairs could not be made (out of descriptors or ports, typically).</summary>
    SetupFailed,

    /// <summary>A copy between the pairs failed or a peer never finished.</summary>
    CopyFailed,
}
