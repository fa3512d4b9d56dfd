using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// The engine's defaults, read once: ProxyOptions' property initialisers are the one definition of every
/// option's default, and this instance is where the cmdlet layer reads them (never a throw-away per call).
/// Its endpoints are placeholders; only the option values are ever read.
/// </summary>
internal static class EngineDefaults
{
    public static ProxyOptions Options { get; } =
        new([ProxyEndpoint.Parse("127.0.0.1:0")], ProxyEndpoint.Parse("127.0.0.1:1"));
}
