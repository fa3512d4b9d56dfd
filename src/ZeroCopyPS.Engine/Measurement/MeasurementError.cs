namespace ZeroCopyPS.Engine.Measurement;

/// <summary>A failure for the caller to report (the measurement code has no PowerShell dependency; the cmdlet turns this into an ErrorRecord).</summary>
public sealed record MeasurementError(Exception Exception, MeasurementFailure Failure, object Target);
