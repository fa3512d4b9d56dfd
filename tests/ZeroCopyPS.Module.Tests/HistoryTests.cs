using System.Collections;
using System.Management.Automation;
using System.Reflection;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS.Module.Tests;

/// <summary>
/// The job history (docs/ARCHITECTURE.md, "Publishing statistics"): engine threads hand closed connections over
/// without waiting on any lock, the streams keep the newest HistoryLimit items, and every dropped one is counted.
/// </summary>
public class HistoryTests
{
    private static int _nextConnection;

    // ConnectionStatistics has no public constructor: the engine makes them. The tests make their own the same way.
    private static ConnectionStatistics Closed(CloseReason reason = CloseReason.ClientClosed)
    {
        ConstructorInfo constructor = typeof(ConnectionStatistics).GetConstructors(BindingFlags.NonPublic | BindingFlags.Instance).Single();
        object?[] arguments = constructor.GetParameters().Select(p => p.ParameterType switch
        {
            Type t when t == typeof(string) => p.Name == "proxyName" ? "history" : "127.0.0.1:1",
            Type t when t == typeof(long) && p.Name == "connectionId" => Interlocked.Increment(ref _nextConnection),
            Type t when t == typeof(CloseReason) => reason,
            Type t when t.IsValueType => Activator.CreateInstance(t),
            _ => null,
        }).ToArray();
        return (ConnectionStatistics)constructor.Invoke(arguments);
    }

    [Fact]
    public void A_history_ring_keeps_the_newest_items_and_counts_the_dropped_ones()
    {
        var ring = new HistoryRing<int>(limit: 3);
        for (int i = 1; i <= 1000; i++) ring.Add(i);

        Assert.Equal(new[] { 998, 999, 1000 }, ring.ToArray());
        Assert.Equal(997, ring.Dropped);
        ring.RemoveAt(0);
        ring.Add(1001);
        Assert.Equal(new[] { 999, 1000, 1001 }, ring.ToArray());
        Assert.Equal(997, ring.Dropped);
    }

    [Fact]
    public void A_history_stream_is_read_by_ReadAll_oldest_first_and_keeps_a_record_that_must_not_be_lost()
    {
        var stream = new HistoryStream<string>(limit: 2);
        stream.Add("a");
        stream.Add("b");
        stream.AddKeepingAll("fault");
        Assert.Equal(3, stream.Count);
        stream.Add("c");

        Assert.Equal(new[] { "fault", "c" }, stream.ReadAll());
        Assert.Equal(2, stream.Dropped);
        Assert.Empty(stream);
    }

    [Fact]
    public async Task A_bounded_hand_off_delivers_every_item_of_many_producers_exactly_once()
    {
        var queue = new BoundedHandOff<string>(1024);
        const int producers = 8, each = 20_000;
        var received = new HashSet<string>();
        using var done = new CancellationTokenSource();
        Task consumer = Task.Run(() =>
        {
            while (received.Count < producers * each && !done.IsCancellationRequested)
            {
                if (queue.TryDequeue(out string? item)) Assert.True(received.Add(item!));
                else Thread.Yield();
            }
        });
        Task[] writers = Enumerable.Range(0, producers).Select(p => Task.Run(() =>
        {
            for (int i = 0; i < each; i++)
                while (!queue.TryEnqueue($"{p}/{i}")) Thread.Yield();
        })).ToArray();

        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        await consumer.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(producers * each, received.Count);
    }

    [Fact]
    public async Task A_connection_hand_off_with_nobody_reading_stays_within_its_limit_and_counts_every_drop()
    {
        long dropped = 0;
        var handOff = new ConnectionHandOff(limit: 100, deliver: () => { });
        Task[] writers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 5_000; i++) handOff.Add(Closed(), d => Interlocked.Increment(ref dropped));
        })).ToArray();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));

        int waiting = 0;
        while (handOff.TryTake(out _)) waiting++;
        Assert.InRange(waiting, 1, 100);
        Assert.Equal(20_000, waiting + Interlocked.Read(ref dropped));
    }

    [Fact]
    public async Task Publishing_a_closed_connection_never_waits_for_a_reader_that_holds_the_job_s_streams()
    {
        using var job = new ZeroCopyProxyJob("-> 127.0.0.1:1", "history-lock", historyLimit: 10);
        var output = (ICollection)job.Output;
        Task publishing;
        lock (output.SyncRoot)
        {
            // A reader (Receive-Job, a DataAdded handler) holds the stream; an engine thread publishes meanwhile.
            publishing = Task.Run(() =>
            {
                job.Publish(Closed());
                job.Publish(Closed(CloseReason.Reset));
            });
#pragma warning disable xUnit1031 // a blocking wait on purpose: awaiting here could resume on a thread that does not hold the lock
            Assert.True(publishing.Wait(TimeSpan.FromSeconds(5)), "Publish waited for the lock of the job's Output stream.");
#pragma warning restore xUnit1031
        }
        await publishing;

        await Eventually_(() => job.Output.Count == 2 && job.Error.Count == 1);
        Assert.Equal(ErrorIds.ConnectionReset, job.Error[0].FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(0, job.DroppedStatisticsCount);
    }

    [Fact]
    public async Task The_job_counts_statistics_and_errors_dropped_past_its_history_limit_exactly()
    {
        using var job = new ZeroCopyProxyJob("-> 127.0.0.1:1", "history-limit", historyLimit: 3);
        for (int i = 0; i < 10; i++) job.Publish(Closed(i % 2 == 0 ? CloseReason.Reset : CloseReason.ClientClosed));

        await Eventually_(() => job.Output.Count + job.DroppedStatisticsCount == 10 && job.Error.Count + job.DroppedErrorCount == 5);
        Assert.Equal(3, job.Output.Count);
        Assert.Equal(7, job.DroppedStatisticsCount);
        Assert.Equal(3, job.Error.Count);
        Assert.Equal(2, job.DroppedErrorCount);
        long[] ids = job.Output.ReadAll().Select(o => ((ConnectionStatistics)o.BaseObject).ConnectionId).ToArray();
        Assert.True(ids.SequenceEqual(ids.Order()), "the newest records, oldest first");
    }

    private static Task Eventually_(Func<bool> condition) =>
        ZeroCopyPS.TestSupport.Eventually.TrueAsync(condition, TimeSpan.FromSeconds(10), "the hand-off to deliver");
}
