namespace ZeroCopyPS.Engine.Logging;

/// <summary>
/// The one line an access log gets after records were dropped because its queue was full (a disk or
/// FIFO slower than the connections): how many since the last notice, and since the log was opened.
/// </summary>
public sealed record DroppedRecordsNotice
{
    public required DateTime Time { get; init; }

    /// <summary>Always "RecordsDropped": tells this line from a connection record.</summary>
    public string Event { get; init; } = "RecordsDropped";
    public required int ProcessId { get; init; }
    public required long RecordsDropped { get; init; }
    public required long RecordsDroppedTotal { get; init; }
}
