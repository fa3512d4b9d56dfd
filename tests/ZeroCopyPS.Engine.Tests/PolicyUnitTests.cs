using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>The policy's pure parts, where a real resolver or kernel cannot be made to misbehave on purpose.</summary>
public class PolicyUnitTests
{
    private static readonly ProxyEndpoint Named = ProxyEndpoint.Parse("db.example:5432");

    [Fact]
    public async Task Dns_shares_one_lookup_among_every_connection_that_waits_for_it()
    {
        int lookups = 0;
        var answer = new TaskCompletionSource<IPAddress[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var dns = new TargetDns(Named, TimeSpan.FromSeconds(30), _ => { Interlocked.Increment(ref lookups); return answer.Task; });
        Task<EndPoint[]>[] waiting = Enumerable.Range(0, 50).Select(_ => dns.ResolveAsync(Environment.TickCount64)).ToArray();
        answer.SetResult([IPAddress.Parse("192.0.2.7")]);
        EndPoint[][] results = await Task.WhenAll(waiting);
        Assert.Equal(1, lookups);
        Assert.All(results, r => Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 5432), r.Single()));
        Assert.Same(results[0], dns.TryGetFresh(Environment.TickCount64)); // cached for the hold time
        Assert.Equal(1, dns.Lookups);
    }

    [Fact]
    public async Task Dns_keeps_the_last_good_answer_when_the_resolver_fails_and_counts_the_failure()
    {
        bool fail = false;
        var dns = new TargetDns(Named, TimeSpan.Zero, _ => fail
            ? Task.FromException<IPAddress[]>(new SocketException((int)SocketError.TryAgain))
            : Task.FromResult(new[] { IPAddress.Parse("192.0.2.8") }));
        EndPoint first = (await dns.ResolveAsync(Environment.TickCount64)).Single();
        fail = true;
        EndPoint stale = (await dns.ResolveAsync(Environment.TickCount64 + 60_000)).Single();
        Assert.Equal(first, stale);
        Assert.Equal(1, dns.Failures);
        Assert.NotNull(dns.LastFailure);
    }

    [Fact]
    public async Task Dns_with_no_earlier_answer_fails_with_a_message_that_names_the_target()
    {
        var dns = new TargetDns(Named, TimeSpan.FromSeconds(30), _ => Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound)));
        var error = await Assert.ThrowsAsync<DnsLookupException>(() => dns.ResolveAsync(Environment.TickCount64));
        Assert.Contains("db.example:5432", error.Message);
    }

    [Fact]
    public void Connect_sequencer_interleaves_families_and_starts_the_next_address_after_250_ms()
    {
        EndPoint a6 = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 1), b6 = new IPEndPoint(IPAddress.Parse("2001:db8::2"), 1);
        EndPoint a4 = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 1);
        var sequencer = new ConnectSequencer([a6, b6, a4], deadlineMs: 10_000);

        ConnectStep first = sequencer.Next(0);
        Assert.Equal((ConnectStepKind.Start, a6), (first.Kind, first.Address));
        Assert.Equal(3_333, first.AtMs); // its share of the time left: 10 s over 3 addresses
        Assert.Equal((ConnectStepKind.Wait, 250L), (sequencer.Next(100).Kind, sequencer.Next(100).AtMs));
        ConnectStep second = sequencer.Next(250);
        Assert.Equal(a4, second.Address); // the other family next (RFC 8305)
        Assert.Equal(ConnectStepKind.Wait, sequencer.Next(600).Kind); // two in flight at most
        sequencer.OnAttemptFailed(a6, FailureKind.Refused, "refused", 700);
        Assert.Equal(b6, sequencer.Next(700).Address);
        Assert.Equal(3, sequencer.Attempts);
    }

    [Fact]
    public void Connect_sequencer_retries_a_unix_target_that_answers_eagain_until_the_deadline()
    {
        EndPoint unix = new UnixDomainSocketEndPoint("/tmp/zc-x.sock");
        var sequencer = new ConnectSequencer([unix], deadlineMs: 1_000);
        Assert.Equal(ConnectStepKind.Start, sequencer.Next(0).Kind);
        sequencer.OnAttemptFailed(unix, FailureKind.WouldBlock, "backlog full", 1);
        Assert.Equal((ConnectStepKind.Wait, 6L), (sequencer.Next(2).Kind, sequencer.Next(2).AtMs));
        Assert.Equal(ConnectStepKind.Start, sequencer.Next(6).Kind);
        sequencer.OnAttemptFailed(unix, FailureKind.Refused, "gone", 7);
        Assert.Equal(ConnectStepKind.GiveUp, sequencer.Next(8).Kind); // a refusal is final
    }

    [Fact]
    public void Timer_queue_returns_only_what_is_due_in_deadline_order_and_forgets_what_was_cancelled()
    {
        var queue = new TimerQueue<Item>();
        var items = Enumerable.Range(0, 1000).Select(i => new Item()).ToArray();
        var random = new Random(1);
        foreach (Item item in items) queue.Schedule(item, random.Next(0, 10_000));
        foreach (Item item in items.Where((_, i) => i % 3 == 0)) queue.Cancel(item);
        foreach (Item item in items.Where((_, i) => i % 5 == 0)) queue.Schedule(item, 20_000 + random.Next(0, 100)); // moved later
        var due = new List<Item>();
        while (queue.TryDequeueDue(10_000, out Item next)) due.Add(next);
        var expected = items.Where((_, i) => i % 3 != 0 && i % 5 != 0).OrderBy(x => x.DeadlineMs).ToList();
        Assert.Equal(expected.Select(x => x.DeadlineMs), due.Select(x => x.DeadlineMs));
        Assert.Equal(items.Count(x => x.TimerIndex >= 0), queue.Count);
        Assert.False(queue.TryDequeueDue(19_999, out _));
    }

    private sealed class Item : ITimed
    {
        public long DeadlineMs { get; set; }

        public int TimerIndex { get; set; } = -1;
    }
}
