namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// What an engine reports about one direction when its connection closes. <see cref="Written"/> is
/// what the destination socket took (syscall return values), <see cref="InFlight"/> what was read from
/// the source and not yet written (in a pipe or buffer), <see cref="Unsent"/> what the destination's
/// send queue still held (SIOCOUTQ, TCP only): an abortive close discards it, so it is lost, not delivered.
/// </summary>
internal readonly record struct DirectionTotals(
    long Written, long Spliced, long Copied, long InFlight, long Unsent, bool LastWriteSpliced, FallbackReason Fallback, bool Finished)
{
    /// <summary>Bytes the receiving peer's kernel accepted.</summary>
    public long Delivered(bool abortive) => Written - (abortive ? Unsent : 0);

    /// <summary>Bytes read from the source that the peer will never get.</summary>
    public long Lost(bool abortive) => InFlight + (abortive ? Unsent : 0);

    /// <summary>Spliced and copied bytes of what was delivered: unsent bytes come off the path that wrote last.</summary>
    public (long Spliced, long Copied) DeliveredByPath(bool abortive)
    {
        long unsent = abortive ? Unsent : 0;
        long spliced = Spliced, copied = Copied;
        if (LastWriteSpliced)
        {
            long off = Math.Min(unsent, spliced);
            return (spliced - off, copied - (unsent - off));
        }
        long offCopied = Math.Min(unsent, copied);
        return (spliced - (unsent - offCopied), copied - offCopied);
    }
}
