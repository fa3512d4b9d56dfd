using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>The fault gate and the per-connection draw on a fake clock: what each kind allows, and when (docs/ARCHITECTURE.md, "Fault injection").</summary>
public class FaultGateTests
{
    private const long T0 = 1_000_000;

    private static DirectionFaults Gate(params ProxyFault[] faults)
    {
        var gate = new DirectionFaults(clientToTarget: false, seed: 42);
        gate.SetFaults(faults, T0);
        return gate;
    }

    private static ProxyFault Fault(FaultKind kind, string name = "f") => new() { Name = name, Kind = kind };

    [Fact]
    public void Latency_holds_each_chunk_by_delay_within_jitter_and_never_reorders()
    {
        DirectionFaults gate = Gate(Fault(FaultKind.Latency) with { Delay = TimeSpan.FromMilliseconds(200), Jitter = TimeSpan.FromMilliseconds(50) });
        long previous = 0;
        var delays = new List<long>();
        for (int i = 0; i < 1000; i++)
        {
            long now = T0 + i;
            long release = gate.OnRead(64, now);
            Assert.True(release >= previous, "a chunk never leaves before the one read before it");
            Assert.InRange(release, now + 150 + DirectionFaults.ClockTickMilliseconds, now + 250 + DirectionFaults.ClockTickMilliseconds);
            delays.Add(release - now);
            previous = release;
        }
        Assert.True(delays.Distinct().Count() > 10, "jitter spreads the delays");
        Assert.Equal(int.MaxValue, gate.ReadAllowance(T0, int.MaxValue)); // latency does not limit reading
    }

    [Fact]
    public void Bandwidth_paces_ten_seconds_to_the_rate_within_the_bucket()
    {
        const long Rate = 10_000_000;
        DirectionFaults gate = Gate(Fault(FaultKind.Bandwidth) with { BytesPerSecond = Rate });
        long now = T0, read = 0, wakes = 0;
        while (now < T0 + 10_000)
        {
            int allowed = gate.ReadAllowance(now, 64 * 1024);
            if (allowed > 0)
            {
                gate.OnRead(allowed, now);
                read += allowed;
                continue;
            }
            long next = gate.NextReadMs(now);
            Assert.True(next > now, "a wait ends in the future");
            now = next;
            wakes++;
        }
        // 10 s at the rate, plus the bucket it starts with (50 ms), less at most one read's worth.
        Assert.InRange(read, Rate * 10 - 64 * 1024, Rate * 10 + Rate / 20 + 64 * 1024);
        Assert.InRange(wakes, 100, 20_000);
    }

    [Fact]
    public void Bandwidth_never_bursts_more_than_its_bucket_after_a_quiet_spell()
    {
        DirectionFaults gate = Gate(Fault(FaultKind.Bandwidth) with { BytesPerSecond = 1_000_000 });
        Assert.Equal(50_000, gate.ReadAllowance(T0 + 60_000, int.MaxValue)); // a minute idle still allows 50 ms' worth
    }

    [Fact]
    public void Bandwidth_keeps_the_credit_of_a_late_wake_up_while_it_waits_for_tokens()
    {
        DirectionFaults gate = Gate(Fault(FaultKind.Bandwidth) with { BytesPerSecond = 1_000_000 });
        gate.OnRead(gate.ReadAllowance(T0, int.MaxValue), T0);
        Assert.Equal(T0 + 17, gate.NextReadMs(T0)); // waiting for 16 KiB
        Assert.Equal(300_000, gate.ReadAllowance(T0 + 300, int.MaxValue)); // woken 283 ms late: nothing lost
        gate.OnRead(300_000, T0 + 300);
        Assert.Equal(50_000, gate.ReadAllowance(T0 + 10_000, int.MaxValue)); // not waiting: a quiet spell earns 50 ms' worth
    }

    [Fact]
    public void Bandwidth_keeps_the_credit_of_a_late_look_while_the_source_has_more()
    {
        DirectionFaults gate = Gate(Fault(FaultKind.Bandwidth) with { BytesPerSecond = 1_000_000 });
        gate.OnRead(gate.ReadAllowance(T0, int.MaxValue), T0, sourceHasMore: true);
        Assert.Equal(200_000, gate.ReadAllowance(T0 + 200, int.MaxValue)); // backlogged, looked at 200 ms later: 200 ms' worth, not 50
        gate.OnRead(10, T0 + 200, sourceHasMore: false);
        Assert.Equal(50_000, gate.ReadAllowance(T0 + 5_000, int.MaxValue)); // the source ran dry: its quiet spell earns 50 ms' worth
    }

    [Fact]
    public void Stall_stops_reads_and_writes_and_resets_after_CloseAfter()
    {
        DirectionFaults gate = Gate(Fault(FaultKind.Stall) with { CloseAfter = TimeSpan.FromSeconds(2) });
        Assert.Equal(0, gate.ReadAllowance(T0, 1000));
        Assert.Equal(0, gate.WriteAllowance(T0, 1000));
        Assert.Equal(long.MaxValue, gate.NextReadMs(T0));
        // One clock tick later than asked, never early (the engines' clock may lag by a tick).
        long dueMs = T0 + 2000 + DirectionFaults.ClockTickMilliseconds;
        Assert.Equal(dueMs, gate.NextDueMs);
        Assert.Equal(FaultEnd.None, gate.Due(dueMs - 1, queueEmpty: true, out _));
        Assert.Equal(FaultEnd.Reset, gate.Due(dueMs, queueEmpty: true, out string? text));
        Assert.Contains("'f'", text);

        gate.SetFaults([], T0 + 500); // removed: the flow resumes
        Assert.Equal(1000, gate.ReadAllowance(T0 + 500, 1000));
        Assert.Equal(long.MaxValue, gate.NextDueMs);
        Assert.False(gate.Active);
    }

    [Fact]
    public void ResetAfter_bytes_lets_exactly_that_many_pass_and_resets_once_they_are_delivered()
    {
        DirectionFaults gate = Gate(Fault(FaultKind.ResetAfter) with { Bytes = 1000 });
        Assert.Equal(1000, gate.ReadAllowance(T0, 4096));
        gate.OnRead(600, T0);
        Assert.Equal(400, gate.ReadAllowance(T0, 4096));
        gate.OnRead(400, T0);
        Assert.Equal(0, gate.ReadAllowance(T0, 4096));
        Assert.Equal(FaultEnd.None, gate.Due(T0, queueEmpty: false, out _));
        Assert.Equal(FaultEnd.Reset, gate.Due(T0, queueEmpty: true, out string? text));
        Assert.Contains("1000 bytes", text);
    }

    [Fact]
    public void ResetAfter_time_counts_from_when_the_fault_first_applied_and_with_neither_resets_at_once()
    {
        var gate = new DirectionFaults(clientToTarget: true, seed: 1);
        gate.SetFaults([], T0);
        gate.SetFaults([Fault(FaultKind.ResetAfter) with { After = TimeSpan.FromSeconds(1) }], T0 + 5000);
        Assert.Equal(T0 + 6000 + DirectionFaults.ClockTickMilliseconds, gate.NextDueMs);
        gate.SetFaults([Fault(FaultKind.ResetAfter) with { After = TimeSpan.FromSeconds(1) }], T0 + 5500); // looked at again: same start
        Assert.Equal(T0 + 6000 + DirectionFaults.ClockTickMilliseconds, gate.NextDueMs);
        Assert.Equal(FaultEnd.Reset, Gate(Fault(FaultKind.ResetAfter)).Due(T0, queueEmpty: false, out _));
    }

    [Fact]
    public void LimitData_lets_exactly_its_bytes_pass_then_asks_for_the_clean_close()
    {
        DirectionFaults gate = Gate(Fault(FaultKind.LimitData) with { Bytes = 100 });
        gate.OnRead(gate.ReadAllowance(T0, 64), T0);
        Assert.Equal(36, gate.ReadAllowance(T0, 64));
        Assert.Equal(FaultEnd.None, gate.Due(T0, queueEmpty: true, out _));
        gate.OnRead(36, T0);
        Assert.Equal(0, gate.ReadAllowance(T0, 64));
        Assert.Equal(FaultEnd.Limit, gate.Due(T0, queueEmpty: false, out _));
    }

    [Fact]
    public void SlowClose_holds_the_FIN_by_its_delay()
    {
        Assert.Equal(T0 + 10 + 700 + DirectionFaults.ClockTickMilliseconds, Gate(Fault(FaultKind.SlowClose) with { Delay = TimeSpan.FromMilliseconds(700) }).FinDueMs(T0 + 10));
        Assert.Equal(T0 + 10, Gate(Fault(FaultKind.Latency) with { Delay = TimeSpan.FromMilliseconds(1) }).FinDueMs(T0 + 10));
    }

    [Fact]
    public void Slice_cuts_writes_within_average_and_variation_a_delay_apart()
    {
        DirectionFaults gate = Gate(Fault(FaultKind.Slice) with { AverageSizeBytes = 100, SizeVariationBytes = 30, Delay = TimeSpan.FromMilliseconds(5) });
        long now = T0;
        var sizes = new List<int>();
        while (sizes.Count < 200)
        {
            int allowed = gate.WriteAllowance(now, 1_000_000);
            if (allowed == 0)
            {
                Assert.Equal(now + 5, gate.NextWriteMs);
                now = gate.NextWriteMs;
                continue;
            }
            sizes.Add(allowed);
            gate.OnWritten(allowed, now);
        }
        Assert.All(sizes, s => Assert.InRange(s, 70, 130));
        Assert.True(sizes.Distinct().Count() > 10);
        Assert.Equal(T0 + 199 * 5, now);
    }

    [Fact]
    public void Faults_of_one_kind_combine()
    {
        DirectionFaults gate = Gate(
            Fault(FaultKind.Latency, "a") with { Delay = TimeSpan.FromMilliseconds(100) },
            Fault(FaultKind.Latency, "b") with { Delay = TimeSpan.FromMilliseconds(50) },
            Fault(FaultKind.LimitData, "c") with { Bytes = 500 },
            Fault(FaultKind.LimitData, "d") with { Bytes = 200 });
        Assert.Equal(T0 + 150 + DirectionFaults.ClockTickMilliseconds, gate.OnRead(1, T0));
        Assert.Equal(199, gate.ReadAllowance(T0, 1000));
    }

    [Fact]
    public void A_connection_draws_once_per_fault_and_names_what_touched_it()
    {
        var set = new FaultSet("p", []);
        set.Add(Fault(FaultKind.Latency, "down") with { Delay = TimeSpan.FromMilliseconds(1), Direction = FaultDirection.ToClient });
        set.Add(Fault(FaultKind.Stall, "never") with { Probability = 0 });
        var faults = new ConnectionFaults(set, connectionId: 1);
        Assert.True(faults.IsStale);
        faults.Refresh(T0);
        Assert.False(faults.IsStale);
        Assert.Null(faults.ClientToTarget);
        Assert.True(faults.TargetToClient!.Active);
        Assert.Equal(["down"], faults.Touched);

        // Half the connections, each drawing once: looking again after a change keeps every draw.
        set.Add(Fault(FaultKind.Bandwidth, "half") with { BytesPerSecond = 1000, Probability = 0.5 });
        var many = Enumerable.Range(0, 2000).Select(i => new ConnectionFaults(set, i)).ToArray();
        foreach (ConnectionFaults c in many) c.Refresh(T0);
        bool[] first = many.Select(c => c.Touched.Contains("half")).ToArray();
        set.Add(Fault(FaultKind.SlowClose, "other") with { Delay = TimeSpan.FromMilliseconds(1) });
        foreach (ConnectionFaults c in many) c.Refresh(T0 + 1);
        Assert.Equal(first, many.Select(c => c.Touched.Contains("half")).ToArray());
        Assert.InRange(first.Count(x => x), 850, 1150);

        set.Remove("down");
        faults.Refresh(T0 + 2);
        Assert.Contains("down", faults.Touched); // it touched the connection, removed or not
        Assert.DoesNotContain(faults.TargetToClient!.Faults, f => f.Name == "down");
    }

    [Fact]
    public void The_chunk_queue_shares_buffers_between_small_reads_and_gives_each_back_with_its_last_chunk()
    {
        var pool = new Stack<byte[]>();
        int rented = 0, returned = 0;
        var queue = new FaultChunkQueue(() => { rented++; return new byte[64 * 1024]; }, b => { returned++; pool.Push(b); });
        for (int i = 0; i < 100; i++)
        {
            (byte[] buffer, int offset, int count) = queue.ReadTarget();
            buffer[offset] = (byte)i;
            queue.Add(64, T0 + i);
        }
        Assert.Equal(1, rented);
        Assert.Equal(6400, queue.QueuedBytes);
        for (int i = 0; i < 100; i++)
        {
            Assert.True(queue.TryPeek(out byte[] data, out int offset, out int count, out long release));
            Assert.Equal((byte)i, data[offset]);
            Assert.Equal(T0 + i, release);
            queue.Consume(10);
            queue.Consume(count - 10);
        }
        Assert.True(queue.IsEmpty);
        Assert.Equal(1, returned);
        Assert.Equal(0, queue.HeldBytes);
    }

    [Fact]
    public void The_chunk_queue_is_full_at_its_bound()
    {
        var queue = new FaultChunkQueue(() => new byte[64 * 1024], _ => { });
        int chunks = 0;
        while (!queue.IsFull)
        {
            (_, _, int count) = queue.ReadTarget();
            queue.Add(count, T0);
            chunks++;
        }
        Assert.Equal(DirectionFaults.QueueBytesMaximum / (64 * 1024), chunks);
        Assert.Equal(DirectionFaults.QueueBytesMaximum, queue.Clear());
    }
}
