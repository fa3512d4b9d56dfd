namespace ZeroCopyPS.TestSupport;

/// <summary>What a <see cref="HashingSink"/> received, or what a <see cref="GatedSender"/> sent: bytes, SHA-256 (hex), and how it ended.</summary>
public sealed record HashedTransfer(long Bytes, string Sha256, string Outcome);
