namespace ZeroCopyPS.Engine.Logging;

/// <summary>
/// A JSON-lines access log: one <see cref="ConnectionRecord"/> per closed connection, written off the
/// loop threads (docs/ARCHITECTURE.md, "Access log"). Give it to a proxy as
/// <see cref="ProxyOptions.AccessLog"/>; several proxies (and handles) may share one path, which then
/// has one writer. Dispose each handle after its proxy stopped: the last one writes out what is queued
/// and closes the file. SIGHUP reopens every log of the process (<see cref="ReopenAll"/>), as logrotate's
/// postrotate expects.
/// </summary>
public sealed class AccessLog : IDisposable
{
    private static readonly Dictionary<string, (AccessLogFile File, int Handles)> Files = new(StringComparer.Ordinal);
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly AccessLogFile _file;
    private int _disposed;

    private AccessLog(AccessLogFile file) => _file = file;

    /// <summary>The absolute path of the log.</summary>
    public string Path => _file.Path;

    /// <summary>Connection records written to the file since it was opened (by every proxy that shares it).</summary>
    public long RecordsWritten => _file.Written;

    /// <summary>Records dropped because the queue was full (the file took them slower than they came) or a write failed.</summary>
    public long RecordsDropped => _file.Dropped;

    /// <summary>Records waiting to be written.</summary>
    public int RecordsQueued => _file.Queued;

    /// <summary>The queue's size: records held at most before new ones are dropped.</summary>
    public int Capacity => _file.Capacity;

    /// <summary>Why the last write or reopen failed (or that a FIFO waits for its reader); null when all is well.</summary>
    public string? LastError => _file.LastError;

    /// <summary>
    /// Opens (creating it, mode 0640 less the umask) or joins the log at <paramref name="path"/>, which must
    /// be absolute. Never blocks: a FIFO without a reader is opened by the writer thread once one appears.
    /// Throws <see cref="IOException"/> naming the cause (missing directory, permission, a directory).
    /// </summary>
    public static AccessLog Open(string path) => Open(path, AccessLogFile.DefaultCapacity);

    internal static AccessLog Open(string path, int capacity)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!System.IO.Path.IsPathFullyQualified(path))
            throw new ArgumentException($"The access log path '{path}' must be absolute.", nameof(path));
        lock (Files)
        {
            if (Files.TryGetValue(path, out var shared))
            {
                Files[path] = (shared.File, shared.Handles + 1);
                return new AccessLog(shared.File);
            }
            AccessLogFile file = AccessLogFile.Open(path, capacity);
            Files[path] = (file, 1);
            return new AccessLog(file);
        }
    }

    /// <summary>Any thread, never blocks: queues one record (or drops and counts it when the queue is full).</summary>
    public void Write(ConnectionStatistics statistics) => _file.TryEnqueue(statistics);

    /// <summary>
    /// Reopens the path (after logrotate moved the file): what was written before stays in the old file,
    /// everything after goes to a new one. Waits up to 2 s; false when the writer is still busy (a FIFO
    /// nobody reads) or the new file could not be opened (see <see cref="LastError"/>; writing goes on
    /// into the old one).
    /// </summary>
    public bool Reopen() => _file.Reopen(TimeSpan.FromSeconds(2)) && _file.LastError is null;

    /// <summary>Asks every access log of the process to reopen, without waiting; how many there are.</summary>
    public static int ReopenAll()
    {
        AccessLogFile[] files;
        lock (Files) files = Files.Values.Select(f => f.File).ToArray();
        foreach (AccessLogFile file in files) file.Reopen(TimeSpan.Zero);
        return files.Length;
    }

    /// <summary>Releases this handle; the last one of a path writes out what is queued and closes the file (bounded).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        AccessLogFile? last = null;
        lock (Files)
        {
            var shared = Files[_file.Path];
            if (shared.Handles > 1) Files[_file.Path] = (shared.File, shared.Handles - 1);
            else
            {
                Files.Remove(_file.Path);
                last = shared.File;
            }
        }
        last?.Close(CloseTimeout);
    }
}
