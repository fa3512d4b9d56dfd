using System.Net;

namespace ZeroCopyPS.Engine.Metrics;

/// <summary>A metrics endpoint could not serve its address (in use, not a local address, not permitted).</summary>
public sealed class MetricsEndpointException : Exception
{
    public MetricsEndpointException(IPEndPoint endPoint, Exception inner)
        : base($"Cannot serve metrics on {endPoint}: {inner.Message}", inner) => EndPoint = endPoint;

    /// <summary>The address asked for.</summary>
    public IPEndPoint EndPoint { get; }
}
