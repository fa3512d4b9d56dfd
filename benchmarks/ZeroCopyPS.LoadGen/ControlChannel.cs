using System.Runtime.InteropServices;

namespace ZeroCopyPS.LoadGen;

/// <summary>
/// The "--control stdin" protocol of the long-running commands (server, proxy, idle): one command per
/// line on standard input, one line of answer on standard output (JSON for a status). The command ends
/// on EXIT (or the command's own end word), at the end of standard input, on SIGTERM/SIGINT/SIGQUIT, or
/// when its lifetime runs out, whichever comes first: a harness that dies leaves nothing running.
/// </summary>
internal static class ControlChannel
{
    /// <summary>
    /// Answers commands with <paramref name="handle"/> (null answer: unknown command) until
    /// <paramref name="endWord"/>, EXIT, EOF, a signal or <paramref name="lifetimeSeconds"/>.
    /// </summary>
    public static void Serve(Func<string, string?> handle, double lifetimeSeconds, string endWord = "EXIT")
    {
        using var end = new ManualResetEventSlim();
        void Handler(PosixSignalContext context)
        {
            context.Cancel = true;
            end.Set();
        }
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handler);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handler);
        using var quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Handler);
        var reader = new Thread(() =>
        {
            try
            {
                while (!end.IsSet && Console.In.ReadLine() is { } line)
                {
                    string command = line.Trim();
                    if (command.Length == 0) continue;
                    if (command.Equals(endWord, StringComparison.OrdinalIgnoreCase) || command.Equals("EXIT", StringComparison.OrdinalIgnoreCase)) break;
                    string answer;
                    try
                    {
                        answer = handle(command.ToUpperInvariant()) ?? $"ERROR unknown command '{command}'";
                    }
                    catch (Exception e)
                    {
                        answer = $"ERROR {command}: {e.GetType().Name}: {e.Message}";
                    }
                    Console.Out.WriteLine(answer);
                    Console.Out.Flush();
                }
            }
            catch (IOException)
            {
                // standard input went away: same as EOF
            }
            end.Set();
        }) { IsBackground = true, Name = "control" };
        reader.Start();
        end.Wait(TimeSpan.FromSeconds(lifetimeSeconds));
    }
}
