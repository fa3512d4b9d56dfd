using System.Management.Automation;
using System.Net;
using ZeroCopyPS.Engine.Metrics;

namespace ZeroCopyPS;

/// <summary>
/// The terminating errors of Start-ZeroCopyProxy's service parameters (-LogPath, -MetricsListen,
/// -HandOverPath), raised before the proxy starts; each message names the parameter.
/// </summary>
internal static class ServiceErrors
{
    public static ErrorRecord InvalidPath(FormatException error, string path, string parameterName) =>
        ErrorRecords.Create(
            new ArgumentException($"-{parameterName} '{EndpointArgument.Show(path)}' is not a usable file path: {error.Message}", error),
            ErrorIds.InvalidServicePath, ErrorCategory.InvalidArgument, path,
            recommendedAction: "Give the path of a file, absolute or relative to the current location, for example ./proxy.jsonl.");

    public static ErrorRecord AccessLogOpenFailed(Exception error, string path) =>
        ErrorRecords.Create(error, ErrorIds.AccessLogOpenFailed, ErrorCategory.OpenError, path,
            $"-LogPath '{path}' cannot be opened: {error.Message}",
            "Create the directory first, or choose a path the proxy's user may write (a FIFO is fine).");

    public static ErrorRecord InvalidMetricsEndpoint(FormatException error, string text) =>
        ErrorRecords.Create(
            new ArgumentException($"-MetricsListen '{EndpointArgument.Show(text)}' is not a valid metrics address: {error.Message}", error),
            ErrorIds.InvalidMetricsEndpoint, ErrorCategory.InvalidArgument, text,
            recommendedAction: "Write the address as PORT, IP:PORT or [IPv6]:PORT, for example 127.0.0.1:9100.");

    public static ErrorRecord MetricsListenFailed(MetricsEndpointException error, IPEndPoint endPoint) =>
        ErrorRecords.Create(error, ErrorIds.MetricsListenFailed, ErrorCategory.ResourceUnavailable, endPoint,
            $"-MetricsListen {endPoint}: {error.Message}",
            "Choose another port, or an address of this machine (127.0.0.1 for a local Prometheus).");
}
