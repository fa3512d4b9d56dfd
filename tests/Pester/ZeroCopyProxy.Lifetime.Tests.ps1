# What happens to a proxy and its open connections when the runspace or the whole process that
# started it goes away: nothing may keep serving unseen, and a stream cut mid-transfer must reach
# the target as a reset, never as a clean end of stream.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestServers.psm1') -Force
    $script:manifest = Get-TestModuleManifest
    Import-Module $script:manifest -Force

    if (-not ('ZeroCopyPSTests.OutcomeSink' -as [type])) {
        Add-Type -TypeDefinition @'
using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace ZeroCopyPSTests
{
    /// <summary>
    /// Accepts on 127.0.0.1 and reads each connection until it ends; Outcome says how the first
    /// connection that carried data ended: "EOF" or "Reset". Empty connections (probes) are ignored.
    /// </summary>
    public sealed class OutcomeSink : IDisposable
    {
        private readonly Socket _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly TaskCompletionSource<string> _outcome = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task<string> Outcome { get { return _outcome.Task; } }
        public long BytesReceived;
        public int Port { get { return ((IPEndPoint)_listener.LocalEndPoint).Port; } }

        public OutcomeSink()
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(16);
            Task.Run(() =>
            {
                while (!_outcome.Task.IsCompleted)
                {
                    Socket peer;
                    try { peer = _listener.Accept(); } catch (Exception) { return; }
                    Task.Run(() => Drain(peer));
                }
            });
        }

        private void Drain(Socket peer)
        {
            using (peer)
            {
                peer.ReceiveTimeout = 30000;
                byte[] buffer = new byte[65536];
                long mine = 0;
                string how;
                try
                {
                    int n;
                    while ((n = peer.Receive(buffer)) > 0) { mine += n; Interlocked.Add(ref BytesReceived, n); }
                    how = "EOF";
                }
                catch (SocketException e) { how = e.SocketErrorCode == SocketError.ConnectionReset ? "Reset" : e.SocketErrorCode.ToString(); }
                if (mine > 0) _outcome.TrySetResult(how);
            }
        }

        public void Dispose() { _listener.Dispose(); }
    }

    /// <summary>Connects and sends zeros until the connection fails or 30 s pass; returns bytes sent.</summary>
    public static class Streamer
    {
        public static Task<long> Start(int port)
        {
            return Task.Run(() =>
            {
                long sent = 0;
                var deadline = DateTime.UtcNow.AddSeconds(30);
                using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
                {
                    socket.SendTimeout = 5000;
                    socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
                    byte[] chunk = new byte[65536];
                    try { while (DateTime.UtcNow < deadline) sent += socket.Send(chunk); }
                    catch (SocketException) { }
                }
                return sent;
            });
        }
    }
}
'@
    }
}

AfterAll {
    Remove-TestProxyJob
}

Describe 'A proxy outlives neither its runspace nor its process' {
    It 'stops when the runspace that started it closes, resetting the open connection' {
        $sink = [ZeroCopyPSTests.OutcomeSink]::new()
        $shell = [powershell]::Create()
        try {
            $job = $shell.AddScript("Import-Module '$script:manifest'; Start-ZeroCopyProxy 127.0.0.1:0 127.0.0.1:$($sink.Port) -Name 'inner'").Invoke()[0]
            $port = [int]($job.ListenEndPoints[0] -split ':')[-1]
            $stream = [ZeroCopyPSTests.Streamer]::Start($port)
            Wait-TestCondition { $sink.BytesReceived -gt 1MB } -Because 'bytes to flow through the proxy'

            $shell.Runspace.Close()

            $sink.Outcome.Wait(10000) | Should -BeTrue
            $sink.Outcome.Result | Should -Be 'Reset'
            $job.JobStateInfo.State | Should -Be 'Stopped'
            Test-TestConnect -Port $port | Should -BeFalse       # the listener is gone too
            $stream.Wait(10000) | Should -BeTrue
        }
        finally {
            $shell.Dispose()
            $sink.Dispose()
        }
    }

    It 'resets open connections when the PowerShell process exits' {
        $sink = [ZeroCopyPSTests.OutcomeSink]::new()
        $listenPort = Get-TestClosedPort
        $child = Join-Path $PSHOME 'pwsh.dll'
        $exe = [Environment]::ProcessPath
        $arguments = @(if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { $child })
        $flag = Join-Path ([IO.Path]::GetTempPath()) "zc-exit-$([guid]::NewGuid().ToString('N'))"
        # The child proxies until the flag appears (20 s at most), then ends the process with the stream
        # in full flow. [Environment]::Exit, not `exit`: no runspace is closed first, so only the engine's
        # process-exit hook stands between the target and a FIN.
        $script = "Import-Module '$script:manifest'; `$null = Start-ZeroCopyProxy 127.0.0.1:$listenPort 127.0.0.1:$($sink.Port) -CopyMode Splice; " +
            "`$deadline = [DateTime]::UtcNow.AddSeconds(20); while (-not (Test-Path '$flag') -and [DateTime]::UtcNow -lt `$deadline) { Start-Sleep -Milliseconds 50 }; [Environment]::Exit(0)"
        $startInfo = [Diagnostics.ProcessStartInfo]::new($exe)
        foreach ($a in @($arguments) + @('-NoProfile', '-NonInteractive', '-Command', $script)) { $startInfo.ArgumentList.Add($a) }
        $startInfo.UseShellExecute = $false
        $process = [Diagnostics.Process]::Start($startInfo)
        try {
            Wait-TestCondition { Test-TestConnect -Port $listenPort } -TimeoutSeconds 20 -Because 'the child proxy to listen'
            $stream = [ZeroCopyPSTests.Streamer]::Start($listenPort)
            Wait-TestCondition { $sink.BytesReceived -gt 1MB } -Because 'bytes to flow through the child proxy'
            $null = New-Item -ItemType File -Path $flag
            $process.WaitForExit(30000) | Should -BeTrue

            $sink.Outcome.Wait(10000) | Should -BeTrue
            $sink.BytesReceived | Should -BeGreaterThan 0
            $sink.Outcome.Result | Should -Be 'Reset'             # a cut stream, not a complete one
            $stream.Wait(10000) | Should -BeTrue
        }
        finally {
            if (-not $process.HasExited) { $process.Kill($true) }
            Remove-Item -LiteralPath $flag -ErrorAction Ignore
            $sink.Dispose()
        }
    }
}
