namespace ZeroCopyPS;

/// <summary>What an endpoint parameter is for: the rules differ (port 0 means "any free port" only when listening).</summary>
internal enum EndpointRole
{
    /// <summary>Start-ZeroCopyProxy -Listen.</summary>
    Listen,

    /// <summary>Start-ZeroCopyProxy -Target.</summary>
    Target,

    /// <summary>Measure-SocketCopy -Endpoint: connected to, like a target.</summary>
    Measure,
}
