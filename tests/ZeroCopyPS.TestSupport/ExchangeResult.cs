namespace ZeroCopyPS.TestSupport;

/// <summary>What <see cref="LoopbackClient.Exchange(string, int, int, int)"/> sent and got back.</summary>
public sealed class ExchangeResult
{
    public long BytesSent { get; set; }
    public long BytesReceived { get; set; }

    /// <summary>True when what came back equals what was sent, byte for byte.</summary>
    public bool EchoMatches { get; set; }

    /// <summary>Null, or why the exchange ended early (reset, refused, timeout).</summary>
    public string? Error { get; set; }

    public string? LocalEndPoint { get; set; }
}
