using System.Text.Json.Serialization;

namespace ZeroCopyPS.LoadGen;

/// <summary>
/// What the "pipeline" client measured (<see cref="PipelinedClient"/>): requests answered and per second, and
/// the time from sending a batch to its last response byte. Printed as one JSON line with these names.
/// </summary>
public sealed record PipelineResult
{
    [JsonPropertyName("workload")] public string Workload => "pipeline";

    [JsonPropertyName("connections")] public required int Connections { get; init; }

    /// <summary>Connections that were open when the timed part started (the rest failed to connect).</summary>
    [JsonPropertyName("connected")] public required int Connected { get; init; }

    /// <summary>Requests in flight on each connection: one batch of this many, sent in one write.</summary>
    [JsonPropertyName("depth")] public required int Depth { get; init; }

    [JsonPropertyName("size")] public required int RequestBytes { get; init; }

    /// <summary>Requests whose whole response came back and matched what was sent.</summary>
    [JsonPropertyName("requests")] public required long Requests { get; init; }

    [JsonPropertyName("batches")] public required long Batches { get; init; }

    /// <summary>Batches whose echo differed from what was sent (their requests are not counted).</summary>
    [JsonPropertyName("mismatches")] public required long Mismatches { get; init; }

    [JsonPropertyName("seconds")] public required double Seconds { get; init; }

    [JsonPropertyName("perSecond")] public required double RequestsPerSecond { get; init; }

    [JsonPropertyName("batchP50us")] public required double BatchP50Microseconds { get; init; }

    [JsonPropertyName("batchP99us")] public required double BatchP99Microseconds { get; init; }

    /// <summary>Connections that ended with an error (connect, send, receive, timeout, early close).</summary>
    [JsonPropertyName("errors")] public required int Errors { get; init; }

    [JsonPropertyName("firstError")] public required string? FirstError { get; init; }
}
