using System.Collections.Concurrent;
using System.Diagnostics;

namespace ZeroCopyPS.Engine.Tests.Support;

/// <summary>
/// A <see cref="ChildHost"/> mode in a process of its own (optionally inside a network namespace the test
/// made, through <c>ip netns exec</c>): stdout read line by line, commands to stdin, killed by its PID on
/// dispose if it is still running.
/// </summary>
public sealed class ChildHostProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();

    private ChildHostProcess(Process process)
    {
        _process = process;
        var reader = new Thread(() =>
        {
            try { while (_process.StandardOutput.ReadLine() is { } line) _lines.Add(line); }
            catch (Exception e) when (e is IOException or InvalidOperationException) { }
            finally { _lines.CompleteAdding(); }
        }) { IsBackground = true };
        reader.Start();
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (Errors) Errors.Add(e.Data); };
        _process.BeginErrorReadLine();
    }

    public List<string> Errors { get; } = new();

    public int Pid => _process.Id;

    public static ChildHostProcess Start(string mode, IEnumerable<string> arguments, string? networkNamespace = null)
    {
        string dotnet = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        var start = new ProcessStartInfo(networkNamespace is null ? dotnet : "ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (networkNamespace is not null) foreach (string a in new[] { "netns", "exec", networkNamespace, dotnet }) start.ArgumentList.Add(a);
        start.ArgumentList.Add(typeof(ChildHost).Assembly.Location);
        start.ArgumentList.Add(ChildHost.Marker);
        start.ArgumentList.Add(mode);
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        return new ChildHostProcess(Process.Start(start)!);
    }

    /// <summary>The next line that starts with <paramref name="prefix"/> (earlier lines are skipped); fails after the timeout.</summary>
    public string WaitFor(string prefix, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (!_lines.TryTake(out string? line, TimeSpan.FromMilliseconds(100)))
            {
                if (_lines.IsCompleted) break;
                continue;
            }
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return line;
        }
        string errors;
        lock (Errors) errors = string.Join('\n', Errors);
        throw new TimeoutException($"Child {Pid} printed no '{prefix}' line within {timeout}. stderr: {errors}");
    }

    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) throw new TimeoutException($"Child {Pid} did not exit within {timeout}.");
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
