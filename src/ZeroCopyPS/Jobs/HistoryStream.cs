using System.Collections;
using System.Management.Automation;
using System.Runtime.Serialization;

namespace ZeroCopyPS;

/// <summary>
/// A job stream (Output or Error) that keeps at most <c>limit</c> unread items: adding one more first drops
/// the oldest, in O(1), and counts it. It is a real PSDataCollection, so Receive-Job (with or without -Keep),
/// Wait-Job and Receive-Job -Wait work on it unchanged; only its storage is a <see cref="HistoryRing{T}"/>,
/// handed to PSDataCollection through its protected ISerializable constructor (the one public way to give it
/// a list of one's own). See docs/ARCHITECTURE.md, "Publishing statistics".
/// </summary>
internal sealed class HistoryStream<T> : PSDataCollection<T>
{
    private readonly HistoryRing<T> _ring;

    public HistoryStream(int limit) : this(new HistoryRing<T>(limit))
    {
    }

    private HistoryStream(HistoryRing<T> ring) : base(StorageOf(ring), default) => _ring = ring;

    /// <summary>Items dropped, oldest first, because <c>limit</c> were unread.</summary>
    public long Dropped
    {
        get
        {
            lock (((ICollection)this).SyncRoot) return _ring.Dropped;
        }
    }

    /// <summary>Adds an item that is never dropped to make room for it (the record of why a proxy stopped).</summary>
    public void AddKeepingAll(T item)
    {
        lock (((ICollection)this).SyncRoot)
        {
            _ring.KeepAll = true;
            try
            {
                Add(item);
            }
            finally
            {
                _ring.KeepAll = false;
            }
        }
    }

    /// <summary>Adds an item; false when the stream no longer takes any (the job finished, streams completed, or was disposed), for the caller to count.</summary>
    public bool TryAdd(T item)
    {
        try
        {
            Add(item);
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            return false;
        }
    }

#pragma warning disable SYSLIB0050 // FormatterConverter: only to fill the SerializationInfo this constructor reads; nothing is serialized.
    private static SerializationInfo StorageOf(HistoryRing<T> ring)
    {
        var info = new SerializationInfo(typeof(PSDataCollection<T>), new FormatterConverter());
        info.AddValue("Data", ring, typeof(IList<T>));
        info.AddValue("BlockingEnumerator", false);
        info.AddValue("DataAddedCount", 1);
        info.AddValue("EnumeratorNeverBlocks", false);
        info.AddValue("IsOpen", true);
        return info;
    }
#pragma warning restore SYSLIB0050
}
