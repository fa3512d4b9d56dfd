using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// The terminating errors Start-ZeroCopyProxy raises before anything runs: one id and category per
/// cause, so scripts can tell "port taken" from "bad address" without parsing messages.
/// </summary>
internal static class ProxyStartErrors
{
    public static ErrorRecord InvalidEndpoint(FormatException error, string endpoint, string parameterName) =>
        ErrorRecords.Create(
            new ArgumentException($"-{parameterName} '{EndpointArgument.Show(endpoint)}' is not a valid endpoint: {error.Message}", error),
            ErrorIds.InvalidEndpoint, ErrorCategory.InvalidArgument, endpoint,
            recommendedAction: "Write the endpoint as PORT, HOST:PORT, [IPv6]:PORT, unix:/path or unix:@name.");

    public static ErrorRecord InvalidProxyName(string name, string problem) =>
        ErrorRecords.Create(new ArgumentException(problem), ErrorIds.InvalidProxyName, ErrorCategory.InvalidArgument, name,
            recommendedAction: "Choose a -Name without * ? [ ] `, control characters or white space at either end, for example 'web' or 'db-primary'.");

    public static ErrorRecord ProxyNameInUse(string name, ZeroCopyProxyJob existing, bool nameGiven) =>
        ErrorRecords.Create(
            new InvalidOperationException(nameGiven
                ? $"-Name '{name}' is taken: a running proxy has that name (job Id {existing.Id}, listening on {existing.Location})."
                : $"The default name '{name}' is taken by a running proxy (job Id {existing.Id}, listening on {existing.Location}): give this one a -Name."),
            ErrorIds.ProxyNameInUse, ErrorCategory.ResourceExists, name,
            recommendedAction: $"Choose another -Name, or stop the existing proxy first: Stop-ZeroCopyProxy -Name '{name}'.");

    public static ErrorRecord FromStartException(ProxyStartException error, ProxyOptions options)
    {
        (string Id, ErrorCategory Category, object Target, string? Action) e = error.Failure switch
        {
            ProxyStartFailure.AddressInUse => (ErrorIds.ListenAddressInUse, ErrorCategory.ResourceUnavailable, error.Endpoint,
                "Choose another port, or stop whatever listens there (ss -ltnp shows it)."),
            ProxyStartFailure.PermissionDenied => (ErrorIds.ListenPermissionDenied, ErrorCategory.PermissionDenied, error.Endpoint,
                "Ports below net.ipv4.ip_unprivileged_port_start need root or CAP_NET_BIND_SERVICE; a Unix socket needs write access to its directory."),
            ProxyStartFailure.AddressNotAvailable => (ErrorIds.ListenAddressNotAvailable, ErrorCategory.InvalidArgument, error.Endpoint,
                "Listen on an address this machine has (see 'ip addr'), on 127.0.0.1, or on a bare port for every interface."),
            ProxyStartFailure.UnsupportedPlatform => (ErrorIds.UnsupportedPlatform, ErrorCategory.NotImplemented, options.Engine,
                "Use -Engine Managed (buffered copy), or -Engine Auto to pick what this platform supports."),
            ProxyStartFailure.ListenPathNotASocket => (ErrorIds.ListenPathNotASocket, ErrorCategory.ResourceExists, error.Endpoint,
                "Choose another path for the socket, or move what is there out of the way yourself: ZeroCopyPS only ever removes stale socket files."),
            ProxyStartFailure.ListenDirectoryNotFound => (ErrorIds.ListenDirectoryNotFound, ErrorCategory.ObjectNotFound, error.Endpoint,
                "Create the directory first (New-Item -ItemType Directory), or choose a path in an existing one."),
            ProxyStartFailure.TargetIsListener => (ErrorIds.ProxyTargetsItself, ErrorCategory.InvalidArgument, error.Endpoint,
                "Point -Target at the service behind the proxy, not at the proxy's own -Listen address."),
            ProxyStartFailure.InvalidOptions => (ErrorIds.InvalidProxyOptions, ErrorCategory.InvalidArgument, options, null),
            _ => (ErrorIds.ListenFailed, ErrorCategory.OpenError, error.Endpoint, null),
        };
        // The engine's message says what happened; the record's message also says which parameter it is about.
        return ErrorRecords.Create(error, e.Id, e.Category, e.Target, StartFailureMessage.NameParameter(error, options), e.Action);
    }

    /// <summary>Anything else the engine throws on start (a bug, or an engine not built for this platform).</summary>
    public static ErrorRecord StartFailed(Exception error, ProxyOptions options) =>
        ErrorRecords.Create(error, ErrorIds.ProxyStartFailed, ErrorCategory.NotSpecified, options);

    public static ErrorRecord FromException(Exception error, ProxyOptions options) => error is ProxyStartException start
        ? FromStartException(start, options)
        : StartFailed(error, options);
}
