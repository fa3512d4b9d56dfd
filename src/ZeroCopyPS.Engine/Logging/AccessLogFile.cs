using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS.Engine.Logging;

/// <summary>
/// One access log file and its writer thread (docs/ARCHITECTURE.md, "Access log"). Loop threads only
/// enqueue (<see cref="TryEnqueue"/>: a bounded queue, never a wait; a full queue drops the record and
/// counts it). The writer thread serialises, batches, and writes at most every <see cref="FlushInterval"/>,
/// so a record is in the file within a second; it may block on a slow disk or a FIFO nobody reads, and
/// only the queue notices. Reopening (logrotate moved the file) happens on the writer thread between two
/// batches: what was written before goes to the old file, everything queued after to the new one.
/// </summary>
internal sealed class AccessLogFile
{
    public const int DefaultCapacity = 16_384;
    private const int BatchBytes = 64 * 1024;

    /// <summary>How long a written record may wait in the batch before the batch goes to the file.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(500);

    private readonly ConcurrentQueue<ConnectionStatistics> _queue = new();
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly ManualResetEventSlim _reopened = new(false);
    private readonly ArrayBufferWriter<byte> _batch = new(BatchBytes);
    private readonly Utf8JsonWriter _json;
    private readonly Thread _thread;
    private SafeFileHandle? _handle;
    private int _queued;
    private long _written;
    private long _dropped;
    private long _dropsNoticed;
    private int _batchLines;
    private int _batchRecords;
    private long _batchStartedMs;
    private int _reopenRequested;
    private int _reopenSeen;
    private volatile bool _writerIdle;
    private volatile bool _stopping;
    private volatile string? _lastError;

    private AccessLogFile(string path, int capacity, SafeFileHandle? handle)
    {
        Path = path;
        Capacity = capacity;
        _handle = handle;
        _json = new Utf8JsonWriter(_batch);
        _thread = new Thread(Run) { IsBackground = true, Name = "ZeroCopyPS access log" };
    }

    public string Path { get; }

    public int Capacity { get; }

    public long Written => Interlocked.Read(ref _written);

    public long Dropped => Interlocked.Read(ref _dropped);

    public int Queued => Volatile.Read(ref _queued);

    public string? LastError => _lastError;

    /// <summary>For tests: runs on the writer thread after a batch whose interval was up went to the file, the moment a record queued meets a writer about to sleep.</summary>
    internal Action? AfterTimedBatchWritten { get; set; }

    /// <summary>Opens (or creates) the file without blocking and starts the writer; throws IOException naming the cause.</summary>
    public static AccessLogFile Open(string path, int capacity)
    {
        SafeFileHandle? handle = AppendFile.TryOpen(path, out int errno);
        if (errno != 0) throw new IOException($"Cannot open the access log '{path}': {Errno.Describe(errno)}.");
        var file = new AccessLogFile(path, capacity, handle);
        if (handle is null) file._lastError = "waiting for a reader of the FIFO";
        file._thread.Start();
        return file;
    }

    /// <summary>Any thread, never blocks: queues the record, or drops and counts it when the queue is full.</summary>
    public void TryEnqueue(ConnectionStatistics statistics)
    {
        int queued = Interlocked.Increment(ref _queued);
        if (queued > Capacity)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return;
        }
        _queue.Enqueue(statistics);
        // The writer batches for up to FlushInterval; it needs a wake-up only when it sleeps with nothing
        // to do, or when the queue fills faster than one batch per interval drains it.
        if (_writerIdle || queued == Capacity / 4) _wake.Set();
    }

    /// <summary>Any thread: asks the writer to reopen the path; waits up to <paramref name="timeout"/> for it. True when reopened.</summary>
    public bool Reopen(TimeSpan timeout)
    {
        lock (_reopened)
        {
            _reopened.Reset();
            Interlocked.Increment(ref _reopenRequested);
            _wake.Set();
            return timeout > TimeSpan.Zero && _reopened.Wait(timeout);
        }
    }

    /// <summary>Writes out what is queued and closes the file; bounded (a writer stuck on a FIFO is left behind).</summary>
    public bool Close(TimeSpan timeout)
    {
        _stopping = true;
        _wake.Set();
        return _thread.Join(timeout);
    }

    private void Run()
    {
        if (_handle is null) OpenNow();
        while (true)
        {
            if (Volatile.Read(ref _reopenRequested) != _reopenSeen)
            {
                _reopenSeen = Volatile.Read(ref _reopenRequested);
                WriteBatch();
                OpenNow();
                _reopened.Set();
            }
            bool stopping = _stopping;
            while (_queue.TryDequeue(out ConnectionStatistics? statistics))
            {
                Interlocked.Decrement(ref _queued);
                AppendRecord(ConnectionRecord.From(statistics));
                _batchRecords++;
                if (_batch.WrittenCount >= BatchBytes) WriteBatch();
            }
            NoticeDrops();
            long now = Environment.TickCount64;
            long due = _batchStartedMs + (long)FlushInterval.TotalMilliseconds;
            if (_batchLines > 0 && (now >= due || stopping))
            {
                WriteBatch();
                AfterTimedBatchWritten?.Invoke();
            }
            if (stopping && _queue.IsEmpty) break;
            // A record queued after the loop above but before the flag goes up (while a batch was being
            // written) saw a busy writer and did not wake it: look at the queue again once the flag is up,
            // or that record would wait for the next one, however long that takes. The fence keeps the look
            // after the flag; TryEnqueue's interlocked enqueue keeps its look at the flag after its record.
            bool idle = _batchLines == 0;
            _writerIdle = idle;
            Interlocked.MemoryBarrier();
            if (idle && !_queue.IsEmpty)
            {
                _writerIdle = false;
                continue;
            }
            _wake.Wait(idle ? Timeout.Infinite : (int)Math.Max(1, due - now));
            _writerIdle = false;
            _wake.Reset();
        }
        _handle?.Dispose();
    }

    private void AppendRecord(ConnectionRecord record)
    {
        StartLine();
        JsonSerializer.Serialize(_json, record, ConnectionRecordJsonContext.Default.ConnectionRecord);
        EndLine();
    }

    private void StartLine()
    {
        if (_batchLines == 0) _batchStartedMs = Environment.TickCount64;
    }

    private void EndLine()
    {
        _json.Flush();
        _json.Reset();
        _batch.Write("\n"u8);
        _batchLines++;
    }

    // One summary line once records were dropped, written as soon as the log takes lines again.
    private void NoticeDrops()
    {
        long dropped = Dropped;
        if (dropped == _dropsNoticed) return;
        StartLine();
        JsonSerializer.Serialize(_json, new DroppedRecordsNotice
        {
            Time = DateTime.UtcNow,
            ProcessId = Environment.ProcessId,
            RecordsDropped = dropped - _dropsNoticed,
            RecordsDroppedTotal = dropped,
        }, ConnectionRecordJsonContext.Default.DroppedRecordsNotice);
        EndLine();
        _dropsNoticed = dropped;
    }

    private void WriteBatch()
    {
        if (_batchLines == 0) return;
        int records = _batchRecords;
        ReadOnlySpan<byte> bytes = _batch.WrittenSpan;
        int written = 0;
        int errno = _handle is null ? Errno.EBADF : AppendFile.WriteAll(_handle, bytes, out written);
        if (errno == 0)
        {
            Interlocked.Add(ref _written, records);
        }
        else
        {
            // Lines wholly written count as written; the rest are lost and counted as dropped.
            int lost = Math.Min(records, bytes[written..].Count((byte)'\n'));
            Interlocked.Add(ref _written, records - lost);
            Interlocked.Add(ref _dropped, lost);
            _dropsNoticed += lost; // no notice for lines that could not be written either
            _lastError = $"write failed: {Errno.Describe(errno)}";
        }
        _batch.ResetWrittenCount();
        _batchLines = 0;
        _batchRecords = 0;
    }

    private void OpenNow()
    {
        SafeFileHandle? handle = AppendFile.OpenBlocking(Path, out int errno);
        if (handle is null)
        {
            // Keep the file we have: a rotation into a directory we may not write must not end logging.
            _lastError = $"reopen failed: {Errno.Describe(errno)}";
            return;
        }
        _handle?.Dispose();
        _handle = handle;
        _lastError = null;
    }
}
