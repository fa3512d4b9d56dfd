namespace ZeroCopyPS.Engine.Measurement;

/// <summary>What one in-process run of <see cref="SocketCopyRunner"/> covers (Measure-SocketCopy's copy parameters).</summary>
public sealed record SocketCopyRunSettings(
    IReadOnlyList<LoopbackTransport> Transports,
    IReadOnlyList<long> Sizes,
    IReadOnlyList<CopyMethod> Modes,
    int Iterations,
    TimeSpan Duration,
    int PipeSizeBytes,
    int BufferSizeBytes,
    CopySource Source = CopySource.Socket);
