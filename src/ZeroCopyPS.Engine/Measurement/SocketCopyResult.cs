namespace ZeroCopyPS.Engine.Measurement;

/// <summary>What one <see cref="SocketCopier.Copy"/> moved and what it cost. A struct: measuring it allocates nothing.</summary>
public readonly record struct SocketCopyResult(
    long Bytes,
    long BytesSpliced,
    long BytesCopied,
    long Syscalls,
    CopyPath CopyPathUsed,
    FallbackReason FallbackReason);
