using System.Management.Automation;
using ZeroCopyPS.Engine.Measurement;

namespace ZeroCopyPS;

/// <summary>Measure-SocketCopy's errors: one id and category per cause, the endpoint (or the copy case) as target.</summary>
internal static class MeasureSocketCopyErrors
{
    public static ErrorRecord InvalidEndpoint(FormatException error, string endpoint) =>
        ErrorRecords.Create(new ArgumentException($"-Endpoint '{EndpointArgument.Show(endpoint)}' is not a valid endpoint: {error.Message}", error),
            ErrorIds.InvalidEndpoint, ErrorCategory.InvalidArgument, endpoint,
            recommendedAction: "Write the endpoint as HOST:PORT, [IPv6]:PORT, PORT (127.0.0.1), unix:/path or unix:@name.");

    // A probe failure is about one of several endpoints: the message says which one, and that it came from -Endpoint.
    public static ErrorRecord FromProbe(EndpointProbeException error, string endpoint)
    {
        (string id, ErrorCategory category, string? action) = error.Failure switch
        {
            EndpointFailure.ConnectFailed => (ErrorIds.EndpointConnectFailed, ErrorCategory.ConnectionError,
                "Check that something listens there (for a proxy: Get-ZeroCopyProxy shows its listen endpoints)."),
            EndpointFailure.NotEchoing => (ErrorIds.EndpointNotEchoing, ErrorCategory.ProtocolError,
                "Point -Endpoint at an echo server, or at a proxy whose -Target is an echo server."),
            EndpointFailure.TimedOut => (ErrorIds.EndpointTimedOut, ErrorCategory.OperationTimeout, "Raise -Duration, or lower -BulkSize."),
            _ => (ErrorIds.EndpointMeasurementFailed, ErrorCategory.ReadError, (string?)null),
        };
        return ErrorRecords.Create(error, id, category, endpoint, $"-Endpoint '{EndpointArgument.Show(endpoint)}': {error.Message}", action);
    }

    // Sendfile with a socket source, or Auto with a file source: refused before anything is measured.
    public static ErrorRecord ModeNotForSource(IReadOnlyCollection<CopyMethod> modes, CopySource source)
    {
        string reason = source == CopySource.File
            ? "Auto is the proxy's socket-to-socket mode; from a file measure Sendfile, Splice or Buffered"
            : "sendfile(2) sends from a file, never from a socket; add -Source File to measure it";
        return ErrorRecords.Create(
            new ArgumentException($"-Mode {string.Join(", ", modes)} cannot be measured with -Source {source}: {reason}."),
            ErrorIds.ModeNotForSource, ErrorCategory.InvalidArgument, modes.ToArray(),
            recommendedAction: "-Source Socket takes -Mode Splice, Buffered or Auto; -Source File takes -Mode Sendfile, Splice or Buffered.");
    }

    // MeasurementSetupFailed: the pairs could not be made, typically out of descriptors or ports; SocketCopyFailed: a copy failed.
    public static ErrorRecord FromMeasurement(MeasurementError error) => error.Failure == MeasurementFailure.SetupFailed
        ? ErrorRecords.Create(error.Exception, ErrorIds.MeasurementSetupFailed, ErrorCategory.ResourceUnavailable, error.Target)
        : ErrorRecords.Create(error.Exception, ErrorIds.SocketCopyFailed, ErrorCategory.ReadError, error.Target);
}
