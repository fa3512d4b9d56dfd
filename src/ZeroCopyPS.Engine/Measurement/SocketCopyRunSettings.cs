namespace ZeroCopyPS.Engine.Measurement;

/// <summary>What one in-process run of <see cref="SocketCopyRunner"/> covers (Measure-SocketCopy's copy parameters).</summary>
public sealed record SocketCopyRunSettings(
    IReadOnlyList<LoopbackTransport> Transports,
    IReadOnlyList<long> Sizes,
    IReadOnlyList<CopyMode> Modes,
    int Iterations,
    TimeSpan Duration,
    int PipeSizeBytes,
    int BufferSizeBytes);
