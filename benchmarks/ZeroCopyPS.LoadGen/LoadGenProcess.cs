using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace ZeroCopyPS.LoadGen;

/// <summary>
/// One LoadGen command in a child process of its own, with its own descriptor limit: started through
/// <c>bash -c 'ulimit -n N; exec dotnet ZeroCopyPS.LoadGen.dll ...'</c>, so the limit is raised for that
/// process only (raising the hard limit needs root or CAP_SYS_RESOURCE; <see cref="Start"/> says so when
/// it fails). Standard output is read line by line; commands go to standard input ("--control stdin").
/// Tracked by its PID: <see cref="Dispose"/> kills it if it is still running, so a failing test or
/// benchmark leaves nothing behind. Used by the scale test (tests/ZeroCopyPS.Engine.Tests/ScaleTests.cs)
/// and the scale benchmark (<see cref="ScaleBench"/>).
/// </summary>
public sealed class LoadGenProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly StringBuilder _stderr = new();
    private readonly Thread _stdoutReader;
    private readonly Thread _stderrReader;

    private LoadGenProcess(string name, Process process, bool controlled)
    {
        Name = name;
        Controlled = controlled;
        _process = process;
        Pid = process.Id;
        _stdoutReader = new Thread(() =>
        {
            try
            {
                while (_process.StandardOutput.ReadLine() is { } line) _lines.Add(line);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
            }
            finally
            {
                _lines.CompleteAdding();
            }
        }) { IsBackground = true, Name = $"{name} stdout" };
        _stderrReader = new Thread(() =>
        {
            try
            {
                while (_process.StandardError.ReadLine() is { } line)
                    lock (_stderr)
                        if (_stderr.Length < 64 * 1024) _stderr.AppendLine(line);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }) { IsBackground = true, Name = $"{name} stderr" };
        _stdoutReader.Start();
        _stderrReader.Start();
    }

    /// <summary>The path of ZeroCopyPS.LoadGen.dll this code was loaded from.</summary>
    public static string DllPath => typeof(LoadGenProcess).Assembly.Location;

    /// <summary>The dotnet host to run it with: the one running this process, else the one the SDK names, else "dotnet" on PATH.</summary>
    public static string DotnetHost
    {
        get
        {
            string? process = Environment.ProcessPath;
            if (process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet") return process;
            return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        }
    }

    /// <summary>The hard RLIMIT_NOFILE of this process (from /proc/self/limits): what a child may raise its own limit to without privileges.</summary>
    public static long HardDescriptorLimit()
    {
        foreach (string line in File.ReadLines("/proc/self/limits"))
        {
            if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
            string[] parts = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return parts[1] == "unlimited" ? long.MaxValue : long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new InvalidDataException("/proc/self/limits has no 'Max open files' line.");
    }

    /// <summary>
    /// Whether a child may set its descriptor limit to <paramref name="limit"/>: at most the hard limit
    /// anyone may, above it only with CAP_SYS_RESOURCE (root outside a sandbox that dropped it), and never
    /// above /proc/sys/fs/nr_open. Asked of bash itself, the way <see cref="Start"/> raises it.
    /// </summary>
    public static bool CanRaiseDescriptorLimit(int limit)
    {
        var info = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("""ulimit -n "$1" """);
        info.ArgumentList.Add("probe");
        info.ArgumentList.Add(limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using Process probe = Process.Start(info) ?? throw new InvalidOperationException("bash did not start.");
        probe.StandardError.ReadToEnd();
        if (!probe.WaitForExit(10_000))
        {
            probe.Kill();
            return false;
        }
        return probe.ExitCode == 0;
    }

    public string Name { get; }

    public int Pid { get; }

    /// <summary>Started with "--control stdin": it reads commands (EXIT ends it).</summary>
    public bool Controlled { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>What the child wrote to standard error so far (the first 64 KiB).</summary>
    public string StandardError
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>Starts "ZeroCopyPS.LoadGen <paramref name="arguments"/>" with RLIMIT_NOFILE raised to <paramref name="descriptorLimit"/> (soft and hard).</summary>
    public static LoadGenProcess Start(string name, int descriptorLimit, params string[] arguments)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // "$1" is the limit; the rest is the command line, passed as arguments (no quoting to get wrong).
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("""ulimit -n "$1" || { echo "cannot raise the descriptor limit to $1 (needs root or CAP_SYS_RESOURCE, and at most /proc/sys/fs/nr_open)" >&2; exit 97; }; shift; exec "$@" """);
        info.ArgumentList.Add("loadgen");
        info.ArgumentList.Add(descriptorLimit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add(DotnetHost);
        info.ArgumentList.Add(DllPath);
        foreach (string argument in arguments) info.ArgumentList.Add(argument);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        Process process = Process.Start(info) ?? throw new InvalidOperationException($"{name}: bash did not start.");
        bool controlled = arguments.Zip(arguments.Skip(1)).Any(pair => pair is ("--control", "stdin"));
        return new LoadGenProcess(name, process, controlled);
    }

    /// <summary>The next line of standard output, or an exception naming the child when it does not come in time.</summary>
    public string ReadLine(TimeSpan timeout)
    {
        try
        {
            if (_lines.TryTake(out string? line, timeout)) return line;
        }
        catch (InvalidOperationException)
        {
            // completed: the child closed its output (it ended)
        }
        throw new TimeoutException(Describe($"no line on standard output within {timeout.TotalSeconds:0.#} s"));
    }

    /// <summary>Reads lines until one starts with <paramref name="prefix"/> and returns the rest of it, trimmed.</summary>
    public string WaitForLine(string prefix, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            TimeSpan left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero) throw new TimeoutException(Describe($"no '{prefix}' line within {timeout.TotalSeconds:0.#} s"));
            string line = ReadLine(left);
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return line[prefix.Length..].Trim();
        }
    }

    /// <summary>Sends one command line ("--control stdin") and returns its one-line answer.</summary>
    public string Command(string command, TimeSpan timeout)
    {
        Send(command);
        string answer = ReadLine(timeout);
        if (answer.StartsWith("ERROR", StringComparison.Ordinal)) throw new InvalidOperationException(Describe($"'{command}' answered: {answer}"));
        return answer;
    }

    /// <summary>Sends a command whose answer is a JSON object, and parses it.</summary>
    public JsonElement CommandJson(string command, TimeSpan timeout)
    {
        string answer = Command(command, timeout);
        using JsonDocument document = JsonDocument.Parse(answer);
        return document.RootElement.Clone();
    }

    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>Waits for the child to end by itself.</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>The child's state, for an error message: name, PID, exit code if any, and its standard error.</summary>
    public string Describe(string what)
    {
        string state = _process.HasExited ? $"exited {_process.ExitCode}" : "running";
        string stderr = StandardError.Trim();
        return $"{Name} (pid {Pid}, {state}): {what}{(stderr.Length > 0 ? $"; its stderr: {stderr}" : "")}";
    }

    /// <summary>Kills the child (by its PID) if it is still running, and waits for it.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        _stdoutReader.Join(TimeSpan.FromSeconds(2));
        _stderrReader.Join(TimeSpan.FromSeconds(2));
        _process.Dispose();
    }
}
