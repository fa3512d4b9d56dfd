<#
Child pwsh processes for the fault tests: a proxy that runs in a process of its own, so a test can
lower its descriptor limit or umask, send it a signal, and survive its crash.

Start-TestProxyChild starts `pwsh.dll` (never the `dotnet pwsh` launcher, which crashes on SIGTERM)
through `bash -c 'ulimit ...; umask ...; exec env --default-signal=INT ...'`, so the PID the test
holds is pwsh itself, with SIGINT at its default even when the test run inherited it ignored. The
child runs ChildProxyHost.ps1, which speaks a line protocol (documented there) on stdin/stdout.
The child ends when its stdin closes, when its own lifetime bound passes, or when the test ends it
by PID (Stop-TestChild; never by name).
#>

Set-StrictMode -Version 3.0

if (-not ('ZeroCopyPSTests.ChildProcess' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;

namespace ZeroCopyPSTests
{
    /// <summary>A child process whose stdout/stderr lines are collected as they arrive.</summary>
    public sealed class ChildProcess : IDisposable
    {
        [DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int sig);

        private readonly Process _process;
        private readonly List<string> _stdout = new List<string>();
        private readonly List<string> _stderr = new List<string>();
        private readonly DateTime _started = DateTime.UtcNow;
        private bool _stdoutClosed;

        private ChildProcess(ProcessStartInfo info)
        {
            info.UseShellExecute = false;
            info.RedirectStandardInput = true;
            info.RedirectStandardOutput = true;
            info.RedirectStandardError = true;
            _process = new Process { StartInfo = info, EnableRaisingEvents = true };
            _process.OutputDataReceived += (s, e) => { lock (_stdout) { if (e.Data != null) _stdout.Add(e.Data); else _stdoutClosed = true; Monitor.PulseAll(_stdout); } };
            _process.ErrorDataReceived += (s, e) => { if (e.Data != null) lock (_stderr) _stderr.Add(e.Data); };
            _process.Start();
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        /// <summary>Runs <paramref name="arguments"/> through bash after <paramref name="prelude"/> (ulimit, umask), exec'd: same PID.</summary>
        public static ChildProcess Start(string prelude, string[] arguments)
        {
            var info = new ProcessStartInfo("/bin/bash");
            info.ArgumentList.Add("-c");
            // env --default-signal=INT: a shell started in the background (CI runners, `cmd &`) hands its
            // children SIGINT ignored, and bash cannot undo that; the child must get Ctrl+C as a user would.
            info.ArgumentList.Add(prelude + "\nexec env --default-signal=INT \"$@\"");
            info.ArgumentList.Add("bash");
            foreach (string a in arguments) info.ArgumentList.Add(a);
            return new ChildProcess(info);
        }

        public int Id { get { return _process.Id; } }
        public bool HasExited { get { return _process.HasExited; } }
        public int ExitCode { get { return _process.ExitCode; } }
        /// <summary>Seconds from start to exit (or to now while it runs).</summary>
        public double SecondsAlive { get { return ((_process.HasExited ? _process.ExitTime.ToUniversalTime() : DateTime.UtcNow) - _started).TotalSeconds; } }
        public string StandardOutput { get { lock (_stdout) return string.Join("\n", _stdout); } }
        public string StandardError { get { lock (_stderr) return string.Join("\n", _stderr); } }

        /// <summary>The rest of the first stdout line that starts with <paramref name="prefix"/>, or null after the timeout or exit.</summary>
        public string WaitForLine(string prefix, int timeoutMs)
        {
            DateTime deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
            lock (_stdout)
            {
                while (true)
                {
                    foreach (string line in _stdout) if (line.StartsWith(prefix, StringComparison.Ordinal)) return line.Substring(prefix.Length);
                    int left = (int)(deadline - DateTime.UtcNow).TotalMilliseconds;
                    if (left <= 0 || _stdoutClosed) return null;
                    Monitor.Wait(_stdout, Math.Min(left, 200));
                }
            }
        }

        public void Send(string line)
        {
            _process.StandardInput.WriteLine(line);
            _process.StandardInput.Flush();
        }

        /// <summary>kill(2) with the given signal number; returns 0 or the errno.</summary>
        public int Signal(int signal)
        {
            return kill(_process.Id, signal) == 0 ? 0 : Marshal.GetLastWin32Error();
        }

        public bool WaitForExit(int timeoutMs) { return _process.WaitForExit(timeoutMs); }

        /// <summary>Closes stdin (a job-mode host then removes its proxies and exits); after 2 s, SIGKILL by PID.</summary>
        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    try { _process.StandardInput.Close(); } catch (Exception) { }
                    if (!_process.WaitForExit(2000)) { _process.Kill(true); _process.WaitForExit(10000); }
                }
            }
            catch (InvalidOperationException) { }
            _process.Dispose();
        }
    }
}
'@
}

function Get-TestPwshCommand {
    <# The command line that starts this very PowerShell directly (pwsh.dll under dotnet, not the launcher). #>
    $exe = [Environment]::ProcessPath
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet' -and (Test-Path -LiteralPath $dll)) { @($exe, $dll) }
    else { @($exe) }
}

function Start-TestProxyChild {
    <#
    Starts ChildProxyHost.ps1 in a child pwsh with Start-ZeroCopyProxy @ProxyArguments.
    -DescriptorLimit sets `ulimit -n` (soft and hard); -Umask sets the umask; -Wait runs the proxy
    with -Wait (foreground) instead of as a job; -WaitJob runs it as a job and then only Wait-Job,
    with stdin from /dev/null (pwsh ignores Ctrl+C while its stdin is a pipe). Returns a ZeroCopyPSTests.ChildProcess; end it with Stop-TestChild.
    #>
    param(
        [Parameter(Mandatory)] [hashtable] $ProxyArguments,
        [int] $DescriptorLimit = 0,
        [string] $Umask,
        [switch] $Wait,
        [switch] $WaitJob,
        [int] $LifetimeSeconds = 180
    )
    $prelude = @()
    if ($DescriptorLimit -gt 0) { $prelude += "ulimit -n $DescriptorLimit || exit 97" }   # bash: without -S/-H both limits
    if ($Umask) { $prelude += "umask $Umask || exit 98" }
    $module = if ($env:ZEROCOPYPS_MODULE_PATH) { $env:ZEROCOPYPS_MODULE_PATH } else { Split-Path -Parent (Get-TestModuleManifest) }
    $arguments = @(Get-TestPwshCommand) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'ChildProxyHost.ps1'),
        '-ModulePath', $module, '-ProxyArguments', ($ProxyArguments | ConvertTo-Json -Compress), '-LifetimeSeconds', $LifetimeSeconds)
    if ($Wait) { $arguments += '-Wait' }
    if ($WaitJob) { $arguments += '-WaitJob'; $prelude += 'exec </dev/null' }
    [ZeroCopyPSTests.ChildProcess]::Start(($prelude -join "`n"), [string[]]$arguments)
}

function Wait-TestChildLine {
    <# Waits for the child's line starting with -Prefix and returns the JSON after it as an object; throws with the child's output otherwise. #>
    param([Parameter(Mandatory)] $Child, [Parameter(Mandatory)] [string] $Prefix, [double] $TimeoutSeconds = 30)
    $rest = $Child.WaitForLine($Prefix, [int]($TimeoutSeconds * 1000))
    if ($null -eq $rest) {
        $state = if ($Child.HasExited) { "exited $($Child.ExitCode) after $([math]::Round($Child.SecondsAlive, 1)) s" } else { 'still running' }
        throw "The child pwsh (PID $($Child.Id), $state) printed no '$Prefix' line within $TimeoutSeconds s. stdout: $($Child.StandardOutput) stderr: $($Child.StandardError)"
    }
    $rest | ConvertFrom-Json
}

$script:requestId = 0
function Invoke-TestChildCommand {
    <# Sends '<id> <Verb> [Json]' to a job-mode child and returns its reply (an object). #>
    param([Parameter(Mandatory)] $Child, [Parameter(Mandatory)] [string] $Verb, [string] $Json, [double] $TimeoutSeconds = 15)
    $id = ++$script:requestId
    $Child.Send(("$id $Verb $Json").TrimEnd())
    Wait-TestChildLine -Child $Child -Prefix "REPLY $id " -TimeoutSeconds $TimeoutSeconds
}

function Stop-TestChild {
    <# Ends the child if it still runs (stdin closed, then SIGKILL by PID after 2 s) and releases it. #>
    param($Child)
    if ($Child) { $Child.Dispose() }
}

function Send-TestSignal {
    <# Sends SIGTERM, SIGHUP or SIGINT to the child's PID. #>
    param([Parameter(Mandatory)] $Child, [Parameter(Mandatory)] [ValidateSet('SIGTERM', 'SIGHUP', 'SIGINT')] [string] $Signal)
    $number = @{ SIGHUP = 1; SIGINT = 2; SIGTERM = 15 }[$Signal]
    $errno = $Child.Signal($number)
    if ($errno -ne 0) { throw "kill($($Child.Id), $Signal) failed with errno $errno" }
}

function Get-TestFileIdentity {
    <# 'inode type mode size' of a path itself (lstat: a symlink is not followed), or $null when nothing is there. #>
    param([Parameter(Mandatory)] [string] $Path)
    $line = & stat -c '%i|%F|%A|%s' -- $Path 2>$null
    if ($LASTEXITCODE -ne 0 -or -not $line) { return $null }
    $inode, $type, $mode, $size = $line -split '\|'
    [pscustomobject]@{ Inode = $inode; Type = $type; Mode = $mode; Size = [long]$size }
}

Export-ModuleMember -Function *-Test*
