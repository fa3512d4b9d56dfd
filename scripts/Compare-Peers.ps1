#!/usr/bin/env pwsh
<#
.SYNOPSIS
Measures ZeroCopyPS against its peers on the same loopback workloads and prints one table.

.DESCRIPTION
Peers: direct (no proxy), HAProxy mode tcp with splice (option splice-request + splice-response) and
without, socat (fork), the article's Go proxy (io.Copy between raw *net.TCPConn, built from
scripts/peers/goproxy), and ZeroCopyPS in each copy mode (the engine's ProxyServer hosted by
benchmarks/ZeroCopyPS.LoadGen "proxy": the same engine Start-ZeroCopyProxy runs, without a PowerShell
host in the measured process).

Workloads (client and target servers: benchmarks/ZeroCopyPS.LoadGen, all on 127.0.0.1):
  Bulk1 / Bulk8  one / eight streams to a sink for -Seconds; MB/s counted by the sink (10^6 bytes/s)
  CPU s/GiB      the proxy's utime+stime (+ reaped children) from /proc/<pid>/stat across Bulk1, per GiB
  p50 / p99      64-byte ping-pong through the proxy to an echo server, one connection, -PingPongCount trips
  conn/s         short connections: connect, 64 bytes there and back, close; 4 clients for -Seconds
  KiB/idle conn  the proxy's resident memory delta for -IdleConnections open idle connections
                 (VmRSS; for socat's forked children, their Pss, since their VmRSS counts shared pages)

Installs what is missing when it may (root with apt-get: haproxy, socat, golang-go; apt-get update
first); a peer that cannot be had is reported as skipped. All proxies run at once (idle until their turn) and
every workload alternates between them in rounds. Every process it starts is tracked by PID and
ended in a finally block. Whole run: about 3 minutes on 2 cores.

.PARAMETER Seconds
Duration of each bulk and connection-rate workload.

.PARAMETER Rounds
Every workload runs in this many rounds; each round visits every peer once, in a rotated order, so
the machine's drift (other load, vCPU wake-up latency) is spread over all peers. Bulk and conn/s add
the rounds up; p50/p99 are the medians of the rounds' values.

.PARAMETER Peer
Which rows to run (default: all). Names: direct, haproxy-splice, haproxy, socat, go, zerocopyps-splice,
zerocopyps-buffered, zerocopyps-auto.

.PARAMETER OutputPath
Folder for results.json and results.md (created if missing). Default: none (console only).

.PARAMETER SkipInstall
Never call apt-get; peers whose tools are missing are skipped.

.EXAMPLE
dotnet tool restore; dotnet pwsh -NoProfile -File scripts/Compare-Peers.ps1 -OutputPath out/peers
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 60)] [double] $Seconds = 4,
    # Workloads alternate between peers in this many rounds (each round: -Seconds / -Rounds per peer).
    [ValidateRange(1, 20)] [int] $Rounds = 5,
    [ValidateRange(100, 1000000)] [int] $PingPongCount = 10000,
    [ValidateRange(10, 5000)] [int] $IdleConnections = 1000,
    # pwsh -File hands "a,b" over as one string: split below, then checked against the known names.
    [string[]] $Peer = @('direct', 'haproxy-splice', 'haproxy', 'socat', 'go', 'zerocopyps-splice', 'zerocopyps-buffered', 'zerocopyps-auto'),
    [string] $OutputPath,
    [switch] $SkipInstall
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
# Split by concern: processes (the shared helpers), peers, workloads, report.
Import-Module (Join-Path $PSScriptRoot 'ZeroCopyPS.Scripts.psm1') -Force
foreach ($part in 'Peers', 'Workloads', 'PeerReport') { Import-Module (Join-Path $PSScriptRoot "peers/$part.psm1") -Force }

$KnownPeers = Get-KnownPeer
$Peer = @($Peer | ForEach-Object { $_ -split ',' } | ForEach-Object { $_.Trim() } | Where-Object { $_ })
foreach ($p in $Peer) {
    if ($p -notin $KnownPeers) { throw "Unknown peer '$p'. Known: $($KnownPeers -join ', ')." }
}

# What every part needs: the work folder, every process started (ended by PID at the end), the tools built.
$Run = [pscustomobject]@{
    Work = Join-Path ([IO.Path]::GetTempPath()) "zcps-peers-$PID"
    Started = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
    LoadGen = $null; GoProxy = $null
    ClockTicksPerSecond = 100   # USER_HZ; checked below with getconf where available
}

$servers = @()
$peers = [System.Collections.Generic.List[object]]::new()
$clock = [System.Diagnostics.Stopwatch]::StartNew()
$null = New-Item -ItemType Directory -Force -Path $Run.Work
try {
    if (Get-Command getconf -ErrorAction SilentlyContinue) { $Run.ClockTicksPerSecond = [int](& getconf CLK_TCK) }
    Install-Peers -SkipInstall:$SkipInstall
    Build-PeerTools $Run

    $track = @{ Directory = $Run.Work; List = $Run.Started }
    $sinkServer = Start-TrackedProcess -Name 'sink' -File $Run.LoadGen -Arguments @('server', '--kind', 'sink', '--lifetime', '900') @track
    $echoServer = Start-TrackedProcess -Name 'echo' -File $Run.LoadGen -Arguments @('server', '--kind', 'echo', '--lifetime', '900') @track
    $servers = @($sinkServer, $echoServer)
    $sink = Wait-TrackedLine $sinkServer 'LISTENING' 20
    $echo = Wait-TrackedLine $echoServer 'LISTENING' 20
    Write-Step "sink $sink, echo $echo"

    # Every proxy up front, two per peer (one in front of the sink, one in front of the echo server);
    # idle ones cost nothing measurable, and having them all lets the workloads alternate between peers.
    foreach ($kind in $Peer) {
        if (-not (Test-PeerAvailable $kind $Run)) { Write-Warning "$kind skipped: its program is not available."; continue }
        $row = New-PeerRow $kind
        try {
            $peers.Add([pscustomobject]@{
                Kind = $kind; Row = $row; Sink = (Start-Peer $kind $sink 'sink' $Run); Echo = (Start-Peer $kind $echo 'echo' $Run)
                Bulk = @{ Bytes = 0.0; Seconds = 0.0; Cpu = 0.0 }; Bulk8 = @{ Bytes = 0.0; Seconds = 0.0 }
                P50 = [System.Collections.Generic.List[double]]::new(); P99 = [System.Collections.Generic.List[double]]::new()
                Conn = @{ Completed = 0.0; Seconds = 0.0; Failed = 0 }
            })
        }
        catch {
            Write-Warning "$kind could not start: $($_.Exception.Message)"
            $row.Note = "could not start: $($_.Exception.Message)"
        }
    }
    Write-Step "$($peers.Count) peers running ($([int]$clock.Elapsed.TotalSeconds) s elapsed)"

    foreach ($p in $peers) {
        if ($p.Kind -eq 'direct') { continue }
        Write-Step "idle memory: $($p.Kind)"
        try { Measure-IdleMemory $p $Run $IdleConnections } catch { Write-Warning "$($p.Kind) idle failed: $($_.Exception.Message)"; $p.Row.Note += 'idle failed ' }
    }

    Write-Step "warm-up ($([int]$clock.Elapsed.TotalSeconds) s elapsed)"
    foreach ($p in $peers) {
        $null = Invoke-LoadGen $Run @('bulk', '--target', $p.Sink.Endpoint, '--seconds', '0.5')   # JIT, pools, pipes
        $null = Invoke-LoadGen $Run @('pingpong', '--target', $p.Echo.Endpoint, '--count', '500', '--warmup', '100')
    }

    $slice = $Seconds / $Rounds
    Write-Step "bulk, 1 stream: $Rounds rounds of $([math]::Round($slice, 2)) s per peer"
    Invoke-Rounds $peers $Rounds 'bulk' {
        param($p)
        $proxyPid = if ($p.Sink.Tracked) { $p.Sink.Tracked.Process.Id }
        $cpuBefore = if ($proxyPid) { Get-CpuSeconds $proxyPid $Run.ClockTicksPerSecond }
        $r = Invoke-LoadGen $Run @('bulk', '--target', $p.Sink.Endpoint, '--seconds', "$slice")
        if ($proxyPid) {
            if ($p.Kind -eq 'socat') { Start-Sleep -Milliseconds 300 }   # let socat reap its child: cutime/cstime count it then
            $p.Bulk.Cpu += (Get-CpuSeconds $proxyPid $Run.ClockTicksPerSecond) - $cpuBefore
        }
        $p.Bulk.Bytes += $r.bytes; $p.Bulk.Seconds += $r.seconds
        if ($r.errors) { $p.Row.Note += "bulk: $($r.firstError) " }
    }
    Write-Step "bulk, 8 streams: $Rounds rounds ($([int]$clock.Elapsed.TotalSeconds) s elapsed)"
    Invoke-Rounds $peers $Rounds 'bulk8' {
        param($p)
        $r = Invoke-LoadGen $Run @('bulk', '--target', $p.Sink.Endpoint, '--seconds', "$slice", '--streams', '8')
        $p.Bulk8.Bytes += $r.bytes; $p.Bulk8.Seconds += $r.seconds
        if ($r.errors) { $p.Row.Note += "bulk8: $($r.firstError) " }
    }
    Write-Step "64-byte ping-pong: $Rounds rounds ($([int]$clock.Elapsed.TotalSeconds) s elapsed)"
    Invoke-Rounds $peers $Rounds 'pingpong' {
        param($p)
        $r = Invoke-LoadGen $Run @('pingpong', '--target', $p.Echo.Endpoint, '--count', "$([int][math]::Ceiling($PingPongCount / $Rounds))", '--size', '64', '--warmup', '200')
        $p.P50.Add($r.p50us); $p.P99.Add($r.p99us)
    }
    Write-Step "short connections: $Rounds rounds ($([int]$clock.Elapsed.TotalSeconds) s elapsed)"
    Invoke-Rounds $peers $Rounds 'connrate' {
        param($p)
        $r = Invoke-LoadGen $Run @('connrate', '--target', $p.Echo.Endpoint, '--seconds', "$slice", '--concurrency', '4', '--size', '64')
        $p.Conn.Completed += $r.completed; $p.Conn.Seconds += $r.seconds; $p.Conn.Failed += $r.failed
        if ($r.failed) { $p.Row.Note += "connrate: $($r.failed) failed ($($r.firstError)) " }
    }

    foreach ($p in $peers) {
        $row = $p.Row
        if ($p.Bulk.Seconds) { $row.Bulk1MBps = [math]::Round($p.Bulk.Bytes / $p.Bulk.Seconds / 1e6, 0) }
        if ($p.Bulk.Bytes -and $p.Sink.Tracked) { $row.CpuSecondsPerGiB = [math]::Round($p.Bulk.Cpu / ($p.Bulk.Bytes / 1GB), 3) }
        if ($p.Bulk8.Seconds) { $row.Bulk8MBps = [math]::Round($p.Bulk8.Bytes / $p.Bulk8.Seconds / 1e6, 0) }
        if ($p.P50.Count) {
            $row.P50Microseconds = [math]::Round((Get-Median $p.P50.ToArray()), 1)
            $row.P99Microseconds = [math]::Round((Get-Median $p.P99.ToArray()), 1)
            if ($p.P50.Count -gt 1) { $row.Note += ('p50 per round {0} µs ' -f (($p.P50 | ForEach-Object { '{0:N1}' -f $_ }) -join '/')) }
        }
        if ($p.Conn.Seconds) { $row.ConnectionsPerSecond = [math]::Round($p.Conn.Completed / $p.Conn.Seconds, 0) }
    }
    $rows = @($peers | ForEach-Object { $_.Row })
    foreach ($kind in $Peer) { if ($kind -notin $rows.Peer) { $rows += New-PeerRow $kind | ForEach-Object { $_.Note = 'not run'; $_ } } }
    $rows | Format-Table Peer, Note -Wrap | Out-String | Write-Host

    $table = Format-PeerTable $rows
    $targets = Get-TargetReport $rows
    $machine = "$([Environment]::ProcessorCount) CPUs, $((Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '^model name\s*:\s*', ''), kernel $(& uname -r)"
    Write-Host ''
    Write-Host "Peer comparison on loopback ($machine; -Seconds $Seconds, -PingPongCount $PingPongCount, -IdleConnections $IdleConnections)"
    Write-Host $table
    Write-Host ''
    Write-Host 'Issue 2 targets:'
    Write-Host $targets
    Write-Host ("Total time: {0:N0} s" -f $clock.Elapsed.TotalSeconds)

    if ($OutputPath) {
        $null = New-Item -ItemType Directory -Force -Path $OutputPath
        [pscustomobject]@{ Machine = $machine; Seconds = $Seconds; PingPongCount = $PingPongCount; IdleConnections = $IdleConnections; Rows = @($rows) } |
            ConvertTo-Json -Depth 4 | Set-Content -LiteralPath (Join-Path $OutputPath 'results.json') -Encoding utf8NoBOM
        "$table`n`nIssue 2 targets:`n$targets`n" | Set-Content -LiteralPath (Join-Path $OutputPath 'results.md') -Encoding utf8NoBOM
        Write-Host "Results: $(Join-Path $OutputPath 'results.md')"
    }
}
finally {
    foreach ($p in $peers) { Stop-TrackedProcess $p.Sink.Tracked 3000; Stop-TrackedProcess $p.Echo.Tracked 3000 }
    foreach ($server in $servers) { Stop-TrackedProcess $server 3000 }
    # Anything still running that this script started (by PID only).
    foreach ($process in $Run.Started) {
        try { if (-not $process.HasExited) { $process.Kill($true); $null = $process.WaitForExit(3000) } } catch { }
    }
    Remove-Item -LiteralPath $Run.Work -Recurse -Force -ErrorAction SilentlyContinue
}
