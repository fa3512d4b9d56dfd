<#
The one helper module of the Pester suites: loopback servers and clients, peers that misbehave on purpose,
child pwsh processes, and waiting with deadlines. The compiled peers come from the shared test-support
library (tests/ZeroCopyPS.TestSupport, the same one the xunit projects use): build.ps1 passes its path in
ZEROCOPYPS_TESTSUPPORT_PATH; without it the newest build under tests/ZeroCopyPS.TestSupport/bin is used.
Everything binds 127.0.0.1 or a temporary Unix path, every blocking call has a timeout, every peer stops
(sockets closed) when disposed, and child processes are ended by PID.
#>

Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot '../../scripts/ZeroCopyPS.Scripts.psm1')   # Get-PwshCommand, Get-RepoProperty

if (-not ('ZeroCopyPS.TestSupport.TestServer' -as [type])) {
    $library = $env:ZEROCOPYPS_TESTSUPPORT_PATH
    if (-not $library) {
        $library = Get-ChildItem -Path (Join-Path $PSScriptRoot "../ZeroCopyPS.TestSupport/bin/*/$(Get-RepoProperty 'ModuleTargetFramework')/ZeroCopyPS.TestSupport.dll") -ErrorAction SilentlyContinue |
            Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1 -ExpandProperty FullName
    }
    if (-not $library -or -not (Test-Path -LiteralPath $library)) {
        throw "ZeroCopyPS.TestSupport.dll not found ('$library'). Build first: dotnet pwsh -NoProfile -File ./build.ps1 -Task Build"
    }
    Add-Type -LiteralPath $library
}

# ------------------------------------------------------------------------------ servers and clients

function New-TestEchoServer {
    <#
    An echo server on 127.0.0.1 (port 0: any free port). -BufferBytes below 64 KiB also shrinks its socket
    buffers: an echo that stops reading as soon as its reply is not read. Dispose it in AfterAll/AfterEach.
    #>
    param([int] $Port = 0, [int] $BufferBytes = 64KB)
    if ($Port -gt 0) { return [ZeroCopyPS.TestSupport.TestServer]::Echo([int]$Port) }
    [ZeroCopyPS.TestSupport.TestServer]::Echo([ZeroCopyPS.TestSupport.Transport]::Tcp4, $BufferBytes)
}

function New-TestSinkServer {
    <# A server that counts what it receives (BytesReceived) and sends nothing back. #>
    [ZeroCopyPS.TestSupport.TestServer]::Sink([ZeroCopyPS.TestSupport.Transport]::Tcp4)
}

function Invoke-TestExchange {
    <# Sends -Bytes bytes to 127.0.0.1:-Port, shuts down, reads until EOF; bounded by -TimeoutSeconds. #>
    param(
        [Parameter(Mandatory)] [int] $Port,
        [int] $Bytes = 1024,
        [int] $TimeoutSeconds = 15
    )
    [ZeroCopyPS.TestSupport.LoopbackClient]::Exchange('127.0.0.1', $Port, $Bytes, $TimeoutSeconds * 1000)
}

function Invoke-TestUnixExchange {
    <# Like Invoke-TestExchange, over a Unix socket path (or '@name' for an abstract socket). #>
    param(
        [Parameter(Mandatory)] [string] $Path,
        [int] $Bytes = 1024,
        [int] $TimeoutSeconds = 15
    )
    [ZeroCopyPS.TestSupport.LoopbackClient]::ExchangeUnix($Path, $Bytes, $TimeoutSeconds * 1000)
}

function Get-TestClosedPort {
    <# A loopback port with no listener right now. #>
    [ZeroCopyPS.TestSupport.LoopbackClient]::GetClosedPort()
}

function Test-TestConnect {
    param([Parameter(Mandatory)] [int] $Port, [int] $TimeoutMilliseconds = 2000)
    [ZeroCopyPS.TestSupport.LoopbackClient]::CanConnect('127.0.0.1', $Port, $TimeoutMilliseconds)
}

function Open-TestIdleConnection {
    <# A connected loopback socket that sends nothing; Dispose it when done. #>
    param([Parameter(Mandatory)] [int] $Port, [int] $TimeoutMilliseconds = 5000)
    [ZeroCopyPS.TestSupport.LoopbackClient]::OpenIdle('127.0.0.1', $Port, $TimeoutMilliseconds)
}

function Get-TestPermissionDeniedEndpoint {
    <#
    An endpoint whose bind fails with EACCES/EPERM on this machine, or $null when none can be
    produced. sysfs refuses new socket files even to root (EPERM) and is not writable by other
    users (EACCES), so one probe covers both; the probe binds a plain .NET socket, so the proxy
    under test is not involved in choosing the endpoint.
    #>
    $candidates = @("/sys/zcps-denied-$([guid]::NewGuid().ToString('N').Substring(0, 8)).sock")
    foreach ($path in $candidates) {
        $socket = [Net.Sockets.Socket]::new([Net.Sockets.AddressFamily]::Unix, [Net.Sockets.SocketType]::Stream, [Net.Sockets.ProtocolType]::Unspecified)
        try {
            $socket.Bind([Net.Sockets.UnixDomainSocketEndPoint]::new($path))
            # It bound after all: not a denied location here; remove what we created.
            $socket.Dispose()
            Remove-Item -LiteralPath $path -Force -ErrorAction SilentlyContinue
        }
        catch {
            $inner = $_.Exception
            while ($inner -and $inner -isnot [Net.Sockets.SocketException]) { $inner = $inner.InnerException }
            if ($inner -and $inner.SocketErrorCode -eq [Net.Sockets.SocketError]::AccessDenied) { return "unix:$path" }
        }
        finally {
            $socket.Dispose()
        }
    }
    $null
}

function Get-TestListenPort {
    <# The TCP port of the first listen endpoint of a proxy job ('127.0.0.1:41234' -> 41234). #>
    param([Parameter(Mandatory)] $Job)
    [int](($Job.ListenEndPoints[0] -split ':')[-1])
}

function Wait-TestCondition {
    <# Polls -Condition every 50 ms until it is true; throws after -TimeoutSeconds. #>
    param(
        [Parameter(Mandatory)] [scriptblock] $Condition,
        [double] $TimeoutSeconds = 10,
        [string] $Because = 'the condition'
    )
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out after $TimeoutSeconds s waiting for $Because." }
        Start-Sleep -Milliseconds 50
    }
}

function Remove-TestProxyJob {
    <# Stops and removes every ZeroCopyPS proxy job of the session (test clean-up). #>
    Get-Job | Where-Object { $_.PSJobTypeName -eq 'ZeroCopyProxy' } | Remove-Job -Force
}

function Import-TestModule {
    <# Imports the module under test into the session (global: this runs inside a module) and returns its manifest path. #>
    $manifest = Get-TestModuleManifest
    Import-Module $manifest -Force -Global
    $manifest
}

function Get-TestModuleManifest {
    <# The manifest of the module under test: $env:ZEROCOPYPS_MODULE_PATH, else out/ZeroCopyPS. #>
    $root = if ($env:ZEROCOPYPS_MODULE_PATH) { $env:ZEROCOPYPS_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/ZeroCopyPS' }
    $manifest = Join-Path $root 'ZeroCopyPS.psd1'
    if (-not (Test-Path -LiteralPath $manifest)) {
        # A versioned layout (out/ZeroCopyPS/<version>/ZeroCopyPS.psd1) works too.
        $manifest = Get-ChildItem -LiteralPath $root -Filter ZeroCopyPS.psd1 -Recurse -Depth 1 -ErrorAction SilentlyContinue |
            Select-Object -First 1 -ExpandProperty FullName
    }
    if (-not $manifest) { throw "ZeroCopyPS.psd1 not found under '$root'. Build first (./build.ps1 -Task Build) or set ZEROCOPYPS_MODULE_PATH." }
    (Resolve-Path -LiteralPath $manifest).ProviderPath
}

# ------------------------------------------------------------------------------ Unix sockets and folders

function New-TestStaleUnixSocket {
    <# A socket file at -Path that nothing listens on: bound elsewhere, renamed into place, then closed (.NET unlinks only the path it bound). #>
    param([Parameter(Mandatory)] [string] $Path)
    $scratch = "$Path.bind"
    $socket = [Net.Sockets.Socket]::new([Net.Sockets.AddressFamily]::Unix, [Net.Sockets.SocketType]::Stream, [Net.Sockets.ProtocolType]::Unspecified)
    try {
        $socket.Bind([Net.Sockets.UnixDomainSocketEndPoint]::new($scratch))
        $socket.Listen(1)
        [IO.File]::Move($scratch, $Path)
    }
    finally { $socket.Dispose() }
}

function New-TestUnixListener {
    <# A listening .NET Unix socket at -Path (another program's listener); Dispose it when done. #>
    param([Parameter(Mandatory)] [string] $Path)
    $socket = [Net.Sockets.Socket]::new([Net.Sockets.AddressFamily]::Unix, [Net.Sockets.SocketType]::Stream, [Net.Sockets.ProtocolType]::Unspecified)
    $socket.Bind([Net.Sockets.UnixDomainSocketEndPoint]::new($Path))
    $socket.Listen(4)
    $socket
}

function Test-TestUnixConnect {
    <# True when a connect to the Unix socket at -Path succeeds within the timeout. #>
    param([Parameter(Mandatory)] [string] $Path, [int] $TimeoutMilliseconds = 2000)
    $socket = [Net.Sockets.Socket]::new([Net.Sockets.AddressFamily]::Unix, [Net.Sockets.SocketType]::Stream, [Net.Sockets.ProtocolType]::Unspecified)
    try { $socket.ConnectAsync([Net.Sockets.UnixDomainSocketEndPoint]::new($Path)).Wait($TimeoutMilliseconds) }
    catch { $false }
    finally { $socket.Dispose() }
}

function New-TestTempDirectory {
    <# A short, fresh directory under /tmp (Unix socket paths must stay under 108 bytes). #>
    $path = Join-Path ([IO.Path]::GetTempPath()) "zcf-$([guid]::NewGuid().ToString('N').Substring(0, 10))"
    (New-Item -ItemType Directory -Path $path).FullName
}

# ------------------------------------------------------------------------------ child pwsh processes
# A proxy that runs in a process of its own, so a test can lower its descriptor limit or umask, send it a
# signal, and survive its crash. Start-TestProxyChild starts pwsh.dll (never the `dotnet pwsh` launcher,
# which crashes on SIGTERM) through `bash -c 'ulimit ...; umask ...; exec env --default-signal=INT ...'`, so
# the PID the test holds is pwsh itself, with SIGINT at its default even when the test run inherited it
# ignored. The child runs ChildProxyHost.ps1, which speaks a line protocol (documented there) on stdin/stdout.

function Start-TestProxyChild {
    <#
    Starts ChildProxyHost.ps1 in a child pwsh with Start-ZeroCopyProxy @ProxyArguments.
    -DescriptorLimit sets `ulimit -n` (soft and hard); -Umask sets the umask; -Wait runs the proxy
    with -Wait (foreground) instead of as a job; -WaitJob runs it as a job and then only Wait-Job,
    with stdin from /dev/null (pwsh ignores Ctrl+C while its stdin is a pipe). Returns a ZeroCopyPS.TestSupport.ChildProcess; end it with Stop-TestChild.
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
    $arguments = @(Get-PwshCommand) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'ChildProxyHost.ps1'),
        '-ModulePath', $module, '-ProxyArguments', ($ProxyArguments | ConvertTo-Json -Compress), '-LifetimeSeconds', $LifetimeSeconds)
    if ($Wait) { $arguments += '-Wait' }
    if ($WaitJob) { $arguments += '-WaitJob'; $prelude += 'exec </dev/null' }
    [ZeroCopyPS.TestSupport.ChildProcess]::Start(($prelude -join "`n"), [string[]]$arguments)
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

# Get-PwshCommand and Invoke-ChildPwsh come from the scripts' helper module: one copy for scripts and tests.
Export-ModuleMember -Function *-Test*, Get-PwshCommand, Invoke-ChildPwsh
