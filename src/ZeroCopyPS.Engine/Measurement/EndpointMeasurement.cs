namespace ZeroCopyPS.Engine.Measurement;

/// <summary>
/// What a live endpoint (for example a proxy in front of an echo server) delivers: bulk throughput of one
/// stream whose bytes the far side echoes back, and the round-trip time of small messages, one at a time,
/// on one connection. Every byte of the bulk phase crosses the endpoint twice (there and back).
/// </summary>
public sealed class EndpointMeasurement
{
    internal EndpointMeasurement(string endpoint) => Endpoint = endpoint;

    /// <summary>The endpoint as given.</summary>
    public string Endpoint { get; }

    /// <summary>The address actually connected to.</summary>
    public string? RemoteAddress { get; internal set; }

    /// <summary>Bytes sent in the bulk phase; each came back. 0 when the bulk phase was skipped (-BulkSize 0).</summary>
    public long BulkBytes { get; internal set; }

    /// <summary>From the first byte sent to the last echoed byte received.</summary>
    public TimeSpan BulkTime { get; internal set; }

    /// <summary>BulkBytes / BulkTime in megabytes (10^6 bytes) per second, counting each byte once.</summary>
    public double BulkThroughputMBps { get; internal set; }

    /// <summary>BulkBytes / BulkTime in gigabits (10^9 bits) per second, counting each byte once.</summary>
    public double BulkThroughputGbps { get; internal set; }

    public int MessageSizeBytes { get; internal set; }

    /// <summary>Round trips timed (after a short warm-up). Less than -RoundTrips when -Duration ran out first.</summary>
    public int RoundTrips { get; internal set; }

    /// <summary>Time to establish the round-trip connection (TCP handshake with the endpoint).</summary>
    public TimeSpan ConnectTime { get; internal set; }

    public TimeSpan RoundTripP50 { get; internal set; }

    public TimeSpan RoundTripP99 { get; internal set; }

    public TimeSpan RoundTripMean { get; internal set; }

    public TimeSpan RoundTripMin { get; internal set; }

    public TimeSpan RoundTripMax { get; internal set; }

    /// <summary>Microseconds, for tables and comparisons (TimeSpan rounds to 100 ns).</summary>
    public double RoundTripP50Microseconds { get; internal set; }

    public double RoundTripP99Microseconds { get; internal set; }

    public override string ToString() =>
        $"{Endpoint}: {BulkThroughputMBps:F0} MB/s bulk, {RoundTripP50Microseconds:F1} µs p50 / {RoundTripP99Microseconds:F1} µs p99 ({MessageSizeBytes}-byte round trips)";
}
