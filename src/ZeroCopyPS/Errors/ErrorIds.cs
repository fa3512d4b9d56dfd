namespace ZeroCopyPS;

/// <summary>
/// Every error id the module writes, in one place: scripts match on them (the part of
/// FullyQualifiedErrorId before the comma), docs/cmdlets list them, and the Pester suites assert them.
/// One id per cause; see docs/ARCHITECTURE.md, "Cmdlet layer".
/// </summary>
internal static class ErrorIds
{
    // Start-ZeroCopyProxy, before anything runs (terminating).
    public const string InvalidEndpoint = "InvalidEndpoint";
    public const string InvalidProxyName = "InvalidProxyName";
    public const string ProxyNameInUse = "ProxyNameInUse";
    public const string ListenAddressInUse = "ListenAddressInUse";
    public const string ListenPermissionDenied = "ListenPermissionDenied";
    public const string ListenAddressNotAvailable = "ListenAddressNotAvailable";
    public const string UnsupportedPlatform = "UnsupportedPlatform";
    public const string ListenPathNotASocket = "ListenPathNotASocket";
    public const string ListenDirectoryNotFound = "ListenDirectoryNotFound";
    public const string ProxyTargetsItself = "ProxyTargetsItself";
    public const string InvalidProxyOptions = "InvalidProxyOptions";
    public const string ListenFailed = "ListenFailed";
    public const string ProxyStartFailed = "ProxyStartFailed";

    // Start-ZeroCopyProxy's service parameters, before anything runs (terminating).
    public const string InvalidServicePath = "InvalidServicePath";
    public const string AccessLogOpenFailed = "AccessLogOpenFailed";
    public const string InvalidMetricsEndpoint = "InvalidMetricsEndpoint";
    public const string MetricsListenFailed = "MetricsListenFailed";

    // Set-ZeroCopyProxy -ReopenLog on a running proxy (non-terminating, per proxy).
    public const string NoAccessLog = "NoAccessLog";
    public const string LogReopenFailed = "LogReopenFailed";
    public const string NothingToSet = "NothingToSet";

    // Start- and Set-ZeroCopyProxy: targets and client rules (terminating, before anything changes).
    public const string InvalidTarget = "InvalidTarget";
    public const string InvalidClientRule = "InvalidClientRule";

    // A running proxy: per connection (non-terminating, on the job's Error stream), and the engine itself.
    public const string TargetConnectFailed = "TargetConnectFailed";
    public const string ConnectionReset = "ConnectionReset";
    public const string ConnectionError = "ConnectionError";
    public const string ProxyLoopDetected = "ProxyLoopDetected";
    public const string ProxyEngineFaulted = "ProxyEngineFaulted";
    public const string ClientDenied = "ClientDenied";

    // Get-, Stop-ZeroCopyProxy.
    public const string ProxyNotFound = "ProxyNotFound";
    public const string NotAProxyJob = "NotAProxyJob";
    public const string InvalidProxyNamePattern = "InvalidProxyNamePattern";
    public const string ForceWithDrainTimeout = "ForceWithDrainTimeout";

    // Set-ZeroCopyProxy (per proxy, non-terminating).
    public const string ProxyNotRunning = "ProxyNotRunning";
    public const string SetTargetsFailed = "SetTargetsFailed";

    // Get-, Stop-ZeroCopyConnection.
    public const string ConnectionNotFound = "ConnectionNotFound";

    // Add-, Get-, Remove-ZeroCopyFault and Start-ZeroCopyProxy -Fault (docs/ARCHITECTURE.md, "Fault injection").
    public const string InvalidFault = "InvalidFault";
    public const string FaultParameterNotForKind = "FaultParameterNotForKind";
    public const string InvalidFaultSetting = "InvalidFaultSetting";
    public const string FaultNameInUse = "FaultNameInUse";
    public const string TooManyFaults = "TooManyFaults";
    public const string FaultNotFound = "FaultNotFound";
    public const string InvalidFaultNamePattern = "InvalidFaultNamePattern";

    // Measure-SocketCopy.
    public const string EndpointConnectFailed = "EndpointConnectFailed";
    public const string EndpointNotEchoing = "EndpointNotEchoing";
    public const string EndpointTimedOut = "EndpointTimedOut";
    public const string EndpointMeasurementFailed = "EndpointMeasurementFailed";
    public const string SocketCopyFailed = "SocketCopyFailed";
    public const string MeasurementSetupFailed = "MeasurementSetupFailed";
    public const string ModeNotForSource = "ModeNotForSource";
}
