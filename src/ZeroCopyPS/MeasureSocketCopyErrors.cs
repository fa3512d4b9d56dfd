using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>Measure-SocketCopy's errors: one id and category per cause, the endpoint as target.</summary>
internal static class MeasureSocketCopyErrors
{
    public static ErrorRecord InvalidEndpoint(FormatException error, string endpoint) =>
        WithAction(new ErrorRecord(new ArgumentException($"-Endpoint '{EndpointArgument.Show(endpoint)}' is not a valid endpoint: {error.Message}", error),
                "InvalidEndpoint", ErrorCategory.InvalidArgument, endpoint),
            "Write the endpoint as HOST:PORT, [IPv6]:PORT, PORT (127.0.0.1), unix:/path or unix:@name.");

    public static ErrorRecord FromProbe(EndpointProbeException error, string endpoint) => error.Failure switch
    {
        EndpointFailure.ConnectFailed => WithAction(
            new ErrorRecord(error, "EndpointConnectFailed", ErrorCategory.ConnectionError, endpoint),
            "Check that something listens there (for a proxy: Get-ZeroCopyProxy shows its listen endpoints).", endpoint),
        EndpointFailure.NotEchoing => WithAction(
            new ErrorRecord(error, "EndpointNotEchoing", ErrorCategory.ProtocolError, endpoint),
            "Point -Endpoint at an echo server, or at a proxy whose -Target is an echo server.", endpoint),
        EndpointFailure.TimedOut => WithAction(
            new ErrorRecord(error, "EndpointTimedOut", ErrorCategory.OperationTimeout, endpoint),
            "Raise -Duration, or lower -BulkSize.", endpoint),
        _ => WithAction(new ErrorRecord(error, "EndpointMeasurementFailed", ErrorCategory.ReadError, endpoint), null, endpoint),
    };

    // A probe failure is about one of several endpoints: the message says which one, and that it came from -Endpoint.
    private static ErrorRecord WithAction(ErrorRecord record, string? recommendedAction, string? endpoint = null)
    {
        string message = endpoint is null ? record.Exception.Message : $"-Endpoint '{EndpointArgument.Show(endpoint)}': {record.Exception.Message}";
        record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = recommendedAction };
        return record;
    }
}
