using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ZeroCopyPS.LoadGen;

/// <summary>
/// "scale" benchmarks (docs/benchmarks.md, section 6). Each party is a LoadGen child process of its own
/// (LoadGenProcess): the proxy (the engine's ProxyServer, no PowerShell), the echo target and the clients,
/// so the proxy's CPU is the proxy's alone. Prints a markdown table and one JSON line per measurement.
/// <list type="bullet">
/// <item>accept: short connections per second (connect, one round trip, close) through one proxy, for each
/// engine and epoll loop count, with N client threads; and the proxy's CPU per connection. Every proxy runs
/// at once and the rounds visit them in a rotated order, so the machine's drift is shared.</item>
/// <item>idle-cpu: N idle connections through one proxy, each with its idle timer armed; the proxy's CPU
/// per second while nothing happens, and (--expire-timeout) the CPU it spends when they all time out.</item>
/// </list>
/// </summary>
internal static class ScaleBench
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    public static int Run(string[] args)
    {
        if (args.Length == 0) throw new ArgumentException("scale needs a benchmark: accept or idle-cpu.");
        var options = new Arguments(args.Skip(1));
        return args[0] switch
        {
            "accept" => Accept(options),
            "idle-cpu" => IdleCpu(options),
            _ => throw new ArgumentException($"scale: unknown benchmark '{args[0]}' (accept, idle-cpu)."),
        };
    }

    // ------------------------------------------------------------------------------------------ accept

    private sealed record Config(string Name, string Engine, int Loops);

    private static int Accept(Arguments options)
    {
        string[] engines = options.Words("engines", ["Epoll", "Managed"]);
        int[] loops = options.Ints("loops", [1, 2]);
        int[] clients = options.Ints("clients", [1, 4, 16]);
        double seconds = options.Double("seconds", 5);
        int repeats = options.Int("repeats", 3);
        int size = options.Int("size", 64);
        bool direct = options.String("direct", "yes") == "yes";
        options.ThrowOnUnused();

        var configs = new List<Config>();
        if (direct) configs.Add(new Config("direct", "", 0));
        foreach (string engine in engines)
        {
            if (engine.Equals("Managed", StringComparison.OrdinalIgnoreCase)) configs.Add(new Config("Managed", "Managed", 0));
            else foreach (int l in loops) configs.Add(new Config($"{engine}, {l} loop{(l == 1 ? "" : "s")}", engine, l));
        }

        var children = new List<LoadGenProcess>();
        var results = new Dictionary<(string, int), List<(double PerSecond, double CpuMicros, long Failed)>>();
        try
        {
            LoadGenProcess echo = Track(children, LoadGenProcess.Start("echo", 20_000, "server", "--kind", "echo", "--lifetime", "3600"));
            string target = echo.WaitForLine("LISTENING", StartTimeout);
            var proxies = new Dictionary<string, (LoadGenProcess? Process, string Endpoint)>();
            foreach (Config c in configs)
            {
                if (c.Engine.Length == 0)
                {
                    proxies[c.Name] = (null, target);
                    continue;
                }
                LoadGenProcess p = Track(children, LoadGenProcess.Start($"proxy {c.Name}", 20_000, "proxy", "--target", target, "--engine", c.Engine,
                    "--loops", c.Loops.ToString(CultureInfo.InvariantCulture), "--control", "stdin", "--lifetime", "3600"));
                proxies[c.Name] = (p, p.WaitForLine("LISTENING", StartTimeout));
            }
            // Warm-up: jitted code, pools, the echo server's worker threads.
            foreach (Config c in configs) ConnRate(proxies[c.Name].Endpoint, 4, 1, size);

            for (int round = 0; round < repeats; round++)
            {
                foreach (int n in clients)
                {
                    for (int k = 0; k < configs.Count; k++)
                    {
                        Config c = configs[(k + round) % configs.Count];
                        (LoadGenProcess? proxy, string endpoint) = proxies[c.Name];
                        long cpu0 = proxy is null ? 0 : long.Parse(proxy.Command("CPU", CommandTimeout), CultureInfo.InvariantCulture);
                        JsonElement r = ConnRate(endpoint, n, seconds, size);
                        long cpu1 = proxy is null ? 0 : long.Parse(proxy.Command("CPU", CommandTimeout), CultureInfo.InvariantCulture);
                        long completed = r.GetProperty("completed").GetInt64();
                        double perSecond = r.GetProperty("perSecond").GetDouble();
                        double cpuMicros = proxy is null || completed == 0 ? 0 : (cpu1 - cpu0) / 1000.0 / completed;
                        long failed = r.GetProperty("failed").GetInt64();
                        if (!results.TryGetValue((c.Name, n), out var list)) results[(c.Name, n)] = list = new();
                        list.Add((perSecond, cpuMicros, failed));
                        Console.WriteLine(JsonSerializer.Serialize(new { benchmark = "accept", config = c.Name, clients = n, round, perSecond, proxyCpuMicrosPerConnection = cpuMicros, completed, failed, firstError = r.GetProperty("firstError").GetString() }));
                    }
                }
            }
        }
        finally
        {
            End(children);
        }

        var table = new StringBuilder();
        table.AppendLine($"| Proxy | {string.Join(" | ", clients.Select(n => $"{n} client{(n == 1 ? "" : "s")}: conn/s (min–max)"))} | {string.Join(" | ", clients.Select(n => $"proxy CPU µs/conn, {n}"))} |");
        table.AppendLine($"|---|{string.Concat(clients.Select(_ => "---:|"))}{string.Concat(clients.Select(_ => "---:|"))}");
        foreach (Config c in configs)
        {
            var rates = clients.Select(n => results[(c.Name, n)]).ToArray();
            string Rate(List<(double PerSecond, double CpuMicros, long Failed)> l) =>
                $"{Median(l.Select(x => x.PerSecond)):N0} ({l.Min(x => x.PerSecond):N0}–{l.Max(x => x.PerSecond):N0}){(l.Sum(x => x.Failed) > 0 ? $", {l.Sum(x => x.Failed)} failed" : "")}";
            string Cpu(List<(double PerSecond, double CpuMicros, long Failed)> l) =>
                c.Engine.Length == 0 ? "–" : $"{Median(l.Select(x => x.CpuMicros)):0.0} ({l.Min(x => x.CpuMicros):0.0}–{l.Max(x => x.CpuMicros):0.0})";
            table.AppendLine($"| {c.Name} | {string.Join(" | ", rates.Select(Rate))} | {string.Join(" | ", rates.Select(Cpu))} |");
        }
        Console.WriteLine();
        Console.WriteLine($"accept: {seconds} s per run, {repeats} rounds, {size}-byte round trip per connection; median (min–max) over the rounds");
        Console.Write(table);
        return 0;
    }

    private static JsonElement ConnRate(string target, int concurrency, double seconds, int size)
    {
        using LoadGenProcess client = LoadGenProcess.Start("connrate", 20_000, "connrate", "--target", target,
            "--concurrency", concurrency.ToString(CultureInfo.InvariantCulture), "--seconds", seconds.ToString(CultureInfo.InvariantCulture),
            "--size", size.ToString(CultureInfo.InvariantCulture));
        string line = client.ReadLine(TimeSpan.FromSeconds(seconds + 60));
        client.WaitForExit(TimeSpan.FromSeconds(10));
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    // ---------------------------------------------------------------------------------------- idle-cpu

    private static int IdleCpu(Arguments options)
    {
        string engine = options.String("engine", "Epoll");
        int[] counts = options.Ints("connections", [1_000, 9_000]);
        double idleTimeout = options.Double("idle-timeout", 3600);
        double sample = options.Double("sample-seconds", 30);
        double settle = options.Double("settle-seconds", 10);
        double expireTimeout = options.Double("expire-timeout", 0);
        int loops = options.Int("loops", 0);
        int repeats = options.Int("repeats", 1);
        options.ThrowOnUnused();

        var rows = new List<string>();
        for (int round = 0; round < repeats; round++)
        {
            foreach (int n in counts)
            {
                rows.Add(IdleCpuOnce(engine, n, idleTimeout, sample, settle, loops));
                if (expireTimeout > 0) rows.Add(ExpireOnce(engine, n, expireTimeout, loops));
            }
        }
        Console.WriteLine();
        foreach (string row in rows) Console.WriteLine(row);
        return 0;
    }

    // The proxy, an echo target and n idle clients; descriptor limits sized for n.
    private static (LoadGenProcess Echo, LoadGenProcess Proxy, LoadGenProcess Clients, double OpenSeconds) OpenIdle(
        List<LoadGenProcess> children, string engine, int n, double idleTimeout, int loops)
    {
        // Two descriptors per connection and the engine's headroom; past the hard limit only where it can be raised.
        int wanted = 2 * n + 2048;
        int proxyLimit = LoadGenProcess.CanRaiseDescriptorLimit(wanted) ? wanted : (int)Math.Min(LoadGenProcess.HardDescriptorLimit(), int.MaxValue);
        int peerLimit = Math.Min(proxyLimit, n + 1024);
        LoadGenProcess echo = Track(children, LoadGenProcess.Start("echo", peerLimit, "server", "--kind", "echo-async", "--control", "stdin", "--lifetime", "3600"));
        string target = echo.WaitForLine("LISTENING", StartTimeout);
        LoadGenProcess proxy = Track(children, LoadGenProcess.Start($"proxy {engine}", proxyLimit, "proxy", "--target", target, "--engine", engine,
            "--loops", loops.ToString(CultureInfo.InvariantCulture), "--max-connections", (n + 100).ToString(CultureInfo.InvariantCulture),
            "--idle-timeout", idleTimeout.ToString(CultureInfo.InvariantCulture), "--control", "stdin", "--lifetime", "3600"));
        string listen = proxy.WaitForLine("LISTENING", StartTimeout);
        var clock = Stopwatch.StartNew();
        LoadGenProcess clients = Track(children, LoadGenProcess.Start("idle clients", peerLimit, "idle", "--target", listen,
            "--count", n.ToString(CultureInfo.InvariantCulture), "--concurrency", "4", "--control", "stdin", "--lifetime", "3600"));
        string ready = clients.WaitForLine("READY", TimeSpan.FromSeconds(300));
        if (ready != n.ToString(CultureInfo.InvariantCulture)) throw new InvalidOperationException(clients.Describe($"only {ready} of {n} connections opened"));
        return (echo, proxy, clients, clock.Elapsed.TotalSeconds);
    }

    private static string IdleCpuOnce(string engine, int n, double idleTimeout, double sample, double settle, int loops)
    {
        var children = new List<LoadGenProcess>();
        try
        {
            (_, LoadGenProcess proxy, _, double openSeconds) = OpenIdle(children, engine, n, idleTimeout, loops);
            WaitForCounts(proxy, active => active == n, TimeSpan.FromSeconds(60));
            // Let what opening set going (tiered JIT's rejits, the thread pool's own timers) end first.
            Thread.Sleep(TimeSpan.FromSeconds(settle));
            long ns0 = CpuNs(proxy), ticks0 = ProcStats.CpuTicks(proxy.Pid);
            var clock = Stopwatch.StartNew();
            Thread.Sleep(TimeSpan.FromSeconds(sample));
            long ns1 = CpuNs(proxy), ticks1 = ProcStats.CpuTicks(proxy.Pid);
            double elapsed = clock.Elapsed.TotalSeconds;
            double msPerSecond = (ns1 - ns0) / 1e6 / elapsed;
            double ticksMsPerSecond = (ticks1 - ticks0) * 1000.0 / ProcStats.ClockTicksPerSecond / elapsed;
            Console.WriteLine(JsonSerializer.Serialize(new { benchmark = "idle-cpu", engine, connections = n, idleTimeoutSeconds = idleTimeout, seconds = elapsed, cpuMsPerSecond = msPerSecond, procStatMsPerSecond = ticksMsPerSecond, openSeconds }));
            return $"| {engine} | {n:N0} idle, IdleTimeout {idleTimeout:0} s | {elapsed:0} s idle | {msPerSecond:0.000} ms/s ({ticksMsPerSecond:0.0} ms/s by /proc ticks) | {msPerSecond * 1000 / n:0.000} µs/s per connection |";
        }
        finally
        {
            End(children);
        }
    }

    // IdleTimeout short enough that every connection expires: CPU while they wait, then while they expire.
    private static string ExpireOnce(string engine, int n, double timeout, int loops)
    {
        var children = new List<LoadGenProcess>();
        try
        {
            var sinceStart = Stopwatch.StartNew(); // the first connection's timer starts after this
            (_, LoadGenProcess proxy, _, double openSeconds) = OpenIdle(children, engine, n, timeout, loops);
            // Idle until just before the first deadline (the first connection opened after sinceStart began).
            long ns0 = CpuNs(proxy);
            var idleClock = Stopwatch.StartNew();
            TimeSpan untilFirst = TimeSpan.FromSeconds(timeout - 1) - sinceStart.Elapsed;
            if (untilFirst > TimeSpan.Zero) Thread.Sleep(untilFirst);
            long ns1 = CpuNs(proxy);
            double idleSeconds = idleClock.Elapsed.TotalSeconds;
            // Expiring: poll the cheap counters (every 200 ms) until nothing is open.
            var expireClock = Stopwatch.StartNew();
            (long active, long closed, long ns2) = WaitForCounts(proxy, a => a == 0, TimeSpan.FromSeconds(timeout + openSeconds + 120));
            double expireSeconds = expireClock.Elapsed.TotalSeconds;
            double idleMsPerSecond = idleSeconds > 0 ? (ns1 - ns0) / 1e6 / idleSeconds : double.NaN;
            double expireMs = (ns2 - ns1) / 1e6;
            JsonElement status = proxy.CommandJson("STATUS", CommandTimeout);
            Console.WriteLine(JsonSerializer.Serialize(new { benchmark = "expire", engine, connections = n, timeoutSeconds = timeout, openSeconds, idleSeconds, idleMsPerSecond, expireSeconds, expireCpuMs = expireMs, closeReasons = status.GetProperty("closeReasons") }));
            return $"| {engine} | {n:N0} expiring, IdleTimeout {timeout:0} s | {idleSeconds:0} s idle, then {expireSeconds:0.0} s expiring | idle {idleMsPerSecond:0.000} ms/s; expiring {expireMs:0} ms in all | {expireMs * 1000 / n:0.0} µs per expired connection ({status.GetProperty("closeReasons")}) |";
        }
        finally
        {
            End(children);
        }
    }

    private static long CpuNs(LoadGenProcess proxy) => long.Parse(proxy.Command("CPU", CommandTimeout), CultureInfo.InvariantCulture);

    // Polls COUNTS ("active total closed cpuNs") every 200 ms until done(active) or the timeout.
    private static (long Active, long Closed, long CpuNs) WaitForCounts(LoadGenProcess proxy, Func<long, bool> done, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            long[] v = proxy.Command("COUNTS", CommandTimeout).Split(' ').Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();
            if (done(v[0])) return (v[0], v[2], v[3]);
            if (clock.Elapsed > timeout) throw new TimeoutException(proxy.Describe($"still {v[0]} active after {timeout.TotalSeconds:0} s"));
            Thread.Sleep(200);
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static LoadGenProcess Track(List<LoadGenProcess> children, LoadGenProcess child)
    {
        children.Add(child);
        return child;
    }

    // EXIT to each (the idle clients take CLOSE first), then kill by PID whatever has not ended.
    private static void End(List<LoadGenProcess> children)
    {
        foreach (LoadGenProcess child in children)
        {
            try
            {
                if (child.HasExited || !child.Controlled) continue;
                if (child.Name == "idle clients") child.Send("CLOSE");
                child.Send("EXIT");
            }
            catch (IOException)
            {
            }
        }
        foreach (LoadGenProcess child in children)
        {
            if (child.Controlled) child.WaitForExit(TimeSpan.FromSeconds(15));
            child.Dispose(); // kills it by its PID if it is still running
        }
    }
}
