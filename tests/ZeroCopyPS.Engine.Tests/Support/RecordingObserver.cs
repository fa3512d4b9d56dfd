using System.Collections.Concurrent;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS.Engine.Tests.Support;

/// <summary>Collects what a proxy reports so tests can wait for and assert on it.</summary>
public sealed class RecordingObserver : IProxyObserver
{
    private readonly BlockingCollection<ConnectionStatistics> _closed = new();

    public ConcurrentQueue<Exception> Faults { get; } = new();

    public void OnConnectionClosed(ConnectionStatistics statistics) => _closed.Add(statistics);

    public void OnEngineFaulted(Exception error) => Faults.Enqueue(error);

    /// <summary>Where target health changes go, when a test wants them.</summary>
    public ConcurrentQueue<TargetStateChange>? TargetChanges { get; set; }

    public void OnTargetStateChanged(TargetStateChange change) => TargetChanges?.Enqueue(change);

    /// <summary>The next closed connection's statistics; fails the test after the timeout.</summary>
    public ConnectionStatistics Next(TimeSpan? timeout = null)
    {
        if (_closed.TryTake(out ConnectionStatistics? statistics, timeout ?? TimeSpan.FromSeconds(30))) return statistics;
        throw new TimeoutException("The proxy reported no closed connection in time.");
    }

    public List<ConnectionStatistics> Take(int count, TimeSpan? timeout = null)
    {
        var list = new List<ConnectionStatistics>(count);
        for (int i = 0; i < count; i++) list.Add(Next(timeout));
        return list;
    }

    /// <summary>Whatever has been reported so far, without waiting.</summary>
    public List<ConnectionStatistics> TryTakeAll()
    {
        var list = new List<ConnectionStatistics>();
        while (_closed.TryTake(out ConnectionStatistics? statistics)) list.Add(statistics);
        return list;
    }

    public int Pending => _closed.Count;
}
