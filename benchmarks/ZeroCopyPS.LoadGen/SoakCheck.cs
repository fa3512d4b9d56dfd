using System.Text.Json;

namespace ZeroCopyPS.LoadGen;

/// <summary>
/// Joins the three views of a soak: the client's records, the server's records (joined to the client's by
/// tag) and the proxy's ConnectionStatistics as Receive-Job returned them (joined to the client's by local
/// port, i.e. ClientEndPoint; connections that reused a port are paired in order, connect order on the client
/// and ConnectionId (accept order) on the proxy, by connect and accept time). Compiled: a 10-minute
/// soak makes a few hundred thousand records per file.
/// </summary>
internal static class SoakCheck
{
    public sealed record ClientRecord(long Tag, string Kind, int Port, long Seq, long ConnectedAt, long Sent, long SendUnknown, long Received, bool ContentOk, string? Error, double StartMs);
    public sealed record ServerRecord(long Tag, uint Flags, long Received, long Sent, long SendUnknown, bool ContentOk, string? Error);
    public sealed record ProxyRecord(long Id, string Client, long Start, long C2t, long T2c, long Spliced, long Copied, long Lost, string Reason, string Path, string Fallback, string? Error, long LostC2t, long LostT2c);

    // Accept (the proxy's StartTime) and the client's return from connect are microseconds apart when the
    // proxy keeps up, longer under a backlog; never more than this.
    private const long PairingToleranceMs = 5_000;

    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    /// <summary>Every record of a file; a line that is not one (a process killed mid-write) is counted, not fatal.</summary>
    private static List<T> Read<T>(string path, ref long unreadable)
    {
        var records = new List<T>();
        foreach (string line in File.ReadLines(path))
        {
            if (line.Length == 0) continue;
            try
            {
                records.Add(JsonSerializer.Deserialize<T>(line, Json)!);
            }
            catch (JsonException)
            {
                unreadable++;
            }
        }
        return records;
    }

    private static int PortOf(string endPoint) =>
        int.TryParse(endPoint.AsSpan(endPoint.LastIndexOf(':') + 1), out int port) ? port : -1;

    /// <summary>What is wrong with one connection, as its three records tell it (one entry per broken rule).</summary>
    private static List<string> Problems(ClientRecord c, ProxyRecord p, ServerRecord? s, bool abort)
    {
        var problems = new List<string>();
        long serverReceived = s?.Received ?? 0, serverSent = s?.Sent ?? 0, serverUnknown = s?.SendUnknown ?? 0;

        // Always true, whatever happened: the proxy read at most what was sent to it (up to the part of a
        // failed send nobody can count), and it read delivered + lost; a peer receives at most what the
        // proxy read for it: delivered, plus, after an abort, part of what was counted lost (sent but not
        // yet acknowledged when the reset went: docs/ARCHITECTURE.md, "Exact accounting"). Every delivered
        // byte was spliced or copied.
        if (serverReceived > p.C2t + p.LostC2t || p.C2t + p.LostC2t > c.Sent + c.SendUnknown)
            problems.Add($"client->target sent {c.Sent} (+{c.SendUnknown} unknown), proxy delivered {p.C2t} and lost {p.LostC2t}, server received {serverReceived}");
        if (c.Received > p.T2c + p.LostT2c || p.T2c + p.LostT2c > serverSent + serverUnknown)
            problems.Add($"target->client sent {serverSent} (+{serverUnknown} unknown), proxy delivered {p.T2c} and lost {p.LostT2c}, client received {c.Received}");
        if (p.Spliced + p.Copied != p.C2t + p.T2c)
            problems.Add($"spliced {p.Spliced} + copied {p.Copied} != delivered {p.C2t + p.T2c}");
        if (!c.ContentOk || s is { ContentOk: false })
            problems.Add($"wrong content received by the {(c.ContentOk ? "server" : "client")}");
        if (abort || s is null) return problems;

        // Ended normally: nobody failed, nothing lost, and every count agrees exactly.
        if (c.Error is not null) problems.Add($"the client failed: {c.Error}");
        if (s.Error is not null) problems.Add($"the server failed: {s.Error}");
        if (p.Reason is not ("ClientClosed" or "TargetClosed") || p.Lost != 0)
            problems.Add($"a complete exchange closed as {p.Reason} with {p.Lost} bytes lost in pipe");
        if (p.C2t != s.Received || c.Sent != s.Received)
            problems.Add($"BytesClientToTarget {p.C2t}, client sent {c.Sent}, server received {s.Received}");
        if (p.T2c != c.Received || s.Sent != c.Received)
            problems.Add($"BytesTargetToClient {p.T2c}, server sent {s.Sent}, client received {c.Received}");
        return problems;
    }

    public static object Run(string clientPath, string serverPath, string proxyPath, int listLimit)
    {
        long unreadable = 0;
        List<ClientRecord> clients = Read<ClientRecord>(clientPath, ref unreadable);
        List<ServerRecord> servers = Read<ServerRecord>(serverPath, ref unreadable);
        List<ProxyRecord> proxies = Read<ProxyRecord>(proxyPath, ref unreadable);
        var mismatches = new List<string>();
        long mismatchCount = 0;
        void Mismatch(string text)
        {
            mismatchCount++;
            if (mismatches.Count < listLimit) mismatches.Add(text);
        }
        var missing = new List<string>();
        long missingCount = 0, duplicateCount = 0;
        void Missing(string text, bool duplicate = false)
        {
            if (duplicate) duplicateCount++; else missingCount++;
            if (missing.Count < listLimit) missing.Add(text);
        }

        // Proxy: one record per ConnectionId, grouped by client port in ConnectionId (accept) order.
        var proxyIds = new HashSet<long>();
        foreach (ProxyRecord p in proxies)
            if (!proxyIds.Add(p.Id)) Missing($"proxy ConnectionId {p.Id} reported twice", duplicate: true);
        // A duplicate is counted above and paired once, so it does not shift every later pairing on its port.
        var proxyByPort = proxies.DistinctBy(p => p.Id).GroupBy(p => PortOf(p.Client))
            .ToDictionary(g => g.Key, g => new Queue<ProxyRecord>(g.OrderBy(p => p.Id)));

        // Server: one record per tag; untagged ones (the header never arrived whole) only count.
        var serverByTag = new Dictionary<long, ServerRecord>();
        long untagged = 0;
        foreach (ServerRecord s in servers)
        {
            if (s.Tag < 0) untagged++;
            else if (!serverByTag.TryAdd(s.Tag, s)) Missing($"server saw tag {s.Tag} twice", duplicate: true);
        }

        var unpaired = new List<ProxyRecord>();
        long normal = 0, aborted = 0, connectFailed = 0, bytesMoved = 0, lostInPipe = 0, unreadAfterAbort = 0;
        // Sums over every proxy record, matched or not: Invoke-Soak.ps1 compares them with Get-ZeroCopyProxy's totals.
        long sumC2t = proxies.Sum(p => p.C2t), sumT2c = proxies.Sum(p => p.T2c), sumSpliced = proxies.Sum(p => p.Spliced), sumCopied = proxies.Sum(p => p.Copied);
        long failureReasons = proxies.LongCount(p => p.Reason is "ConnectFailed" or "Reset" or "Error");
        var closeReasons = new SortedDictionary<string, long>();
        var copyPaths = new SortedDictionary<string, long>();
        var fallbacks = new SortedDictionary<string, long>();
        var abortedReasons = new SortedDictionary<string, long>();
        static void Count(SortedDictionary<string, long> d, string key) => d[key] = d.GetValueOrDefault(key) + 1;

        ClientRecord[] ordered = clients.OrderBy(c => c.Port).ThenBy(c => c.Seq).ToArray();
        for (int i = 0; i < ordered.Length; i++)
        {
            ClientRecord c = ordered[i];
            if (c.Port == 0)
            {
                // Never connected: the proxy has nothing to report for it.
                connectFailed++;
                Mismatch($"#{c.Tag} {c.Kind}: connect failed: {c.Error}");
                continue;
            }
            serverByTag.Remove(c.Tag, out ServerRecord? s);
            // Pair by order on the port, and only with a record accepted nearer to this connect than to the
            // previous or next connect from the same port (the kernel may hand a port out again within
            // seconds): a record missing on either side then stays one missing record instead of shifting
            // every later pairing on that port.
            long low = c.ConnectedAt - PairingToleranceMs, high = c.ConnectedAt + PairingToleranceMs;
            if (i > 0 && ordered[i - 1].Port == c.Port) low = Math.Max(low, (ordered[i - 1].ConnectedAt + c.ConnectedAt) / 2);
            if (i + 1 < ordered.Length && ordered[i + 1].Port == c.Port) high = Math.Min(high, (c.ConnectedAt + ordered[i + 1].ConnectedAt) / 2);
            proxyByPort.TryGetValue(c.Port, out Queue<ProxyRecord>? queue);
            while (queue is { Count: > 0 } && queue.Peek().Start < low)
                unpaired.Add(queue.Dequeue());
            if (queue is not { Count: > 0 } || queue.Peek().Start > high)
            {
                Missing($"#{c.Tag} {c.Kind} (client port {c.Port}): no proxy statistics record");
                continue;
            }
            ProxyRecord p = queue.Dequeue();
            bytesMoved += p.C2t + p.T2c;
            lostInPipe += p.Lost;
            Count(closeReasons, p.Reason);
            Count(copyPaths, p.Path);
            Count(fallbacks, p.Fallback);
            long serverReceived = s?.Received ?? 0;
            bool abort = c.Kind.StartsWith("abort", StringComparison.Ordinal);
            if (abort)
            {
                // The client reset the connection part-way: bytes in flight are lost by design (the proxy
                // reports what it held as BytesLost; what the kernel dropped on RST nobody can count).
                aborted++;
                Count(abortedReasons, p.Reason);
                unreadAfterAbort += Math.Max(0, p.C2t - serverReceived) + Math.Max(0, p.T2c - c.Received);
            }
            else
            {
                normal++;
                if (s is null) Missing($"#{c.Tag} {c.Kind} (proxy id {p.Id}): no server record");
            }
            List<string> problems = Problems(c, p, s, abort);
            if (problems.Count > 0)
                Mismatch($"#{c.Tag} {c.Kind} (proxy id {p.Id}, port {c.Port}, {p.Reason}{(p.Error is null ? "" : ": " + p.Error)}): {string.Join("; ", problems)}");
        }

        // Whatever is left over had no partner.
        foreach (ProxyRecord p in unpaired.Concat(proxyByPort.Values.SelectMany(q => q)).OrderBy(p => p.Id))
            Missing($"proxy id {p.Id} ({p.Client}, {p.Reason}): no client connection");
        foreach (ServerRecord s in serverByTag.Values)
            Missing($"server tag {s.Tag}: no client connection");

        return new
        {
            clientRecords = clients.Count, serverRecords = servers.Count, proxyRecords = proxies.Count, unreadableLines = unreadable,
            normal, aborted, connectFailed, untaggedServerConnections = untagged,
            bytesMoved, lostInPipe, unreadAfterAbort, sumC2t, sumT2c, sumSpliced, sumCopied, failureReasons,
            mismatchCount, mismatches, missingCount, duplicateCount, missing,
            closeReasons, abortedReasons, copyPaths, fallbacks,
            // The error texts the statistics carried, most frequent first: which failure each close reason stood for.
            errors = proxies.Where(p => p.Error is not null).GroupBy(p => $"{p.Reason}: {p.Error}")
                .OrderByDescending(g => g.LongCount()).Take(listLimit).ToDictionary(g => g.Key, g => g.LongCount()),
            perKind = clients.GroupBy(c => c.Kind).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.LongCount()),
        };
    }
}
