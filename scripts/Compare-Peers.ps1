#!/usr/bin/env pwsh
<#
.SYNOPSIS
Measures ZeroCopyPS against its peers on the same loopback workloads; prints the tables, writes a chart.

.DESCRIPTION
Peers: direct (no proxy); HAProxy mode tcp with splice (option splice-request + splice-response) at its
default pipe (haproxy-splice) and with tune.pipesize 1048576 (haproxy-splice-pipe1m), and without splice
(haproxy); socat (fork); the article's Go proxy (io.Copy between raw *net.TCPConn, built from
scripts/peers/goproxy); and ZeroCopyPS: Auto (the default), Auto with 1 MiB pipes (-PipeSize 1MB, the
same pipe as haproxy-splice-pipe1m), Splice and Buffered. ZeroCopyPS is the engine's ProxyServer hosted by
benchmarks/ZeroCopyPS.LoadGen "proxy": the same engine Start-ZeroCopyProxy runs, without a PowerShell
host in the measured process.

Figures (client and target servers: benchmarks/ZeroCopyPS.LoadGen, all on 127.0.0.1):
  Bulk1 / Bulk8    one / eight streams to a sink; MB/s counted by the sink (10^6 bytes/s)
  CPU s/GiB        the proxy's utime+stime (+ reaped children) from /proc/<pid>/stat across Bulk1, per GiB
  p50 / p99        64-byte ping-pong through the proxy to an echo server, one connection
  conn/s           short connections: connect, 64 bytes there and back, close; 4 clients
  pipelined req/s  50 connections, each with a batch of 16 requests of 30 bytes in flight (one write per
                   batch, the next once every response is in: redis-benchmark -P 16's shape) to the echo
                   server; every echo checked; batch p50 = send of a batch to its last response byte
  KiB/idle conn    the proxy's resident memory delta for -IdleConnections open idle connections
                   (VmRSS; for socat's forked children, their Pss, since their VmRSS counts shared pages)

Every figure but idle memory is measured in -Rounds rounds; each peer's figure is the median of its rounds,
reported with the min–max and the ratio to the best external peer (HAProxy ×3, socat, Go) for that figure.
Prints two Markdown tables (medians with ratios; min–max), issue 11's targets for each ZeroCopyPS row,
and writes an SVG chart (a panel per figure, a bar per proxy, normalised to the best external peer).

Installs what is missing when it may (root with apt-get: haproxy, socat, golang-go; apt-get update
first); a peer that cannot be had is reported as not run. All proxies run at once (idle until their turn)
and every workload alternates between them in rounds. Every process it starts is tracked by PID and
ended in a finally block. Whole run: about 5 minutes on 2 cores.

.PARAMETER Seconds
Time per peer of each bulk, connection-rate and pipelined workload, split over the rounds.

.PARAMETER Rounds
Every workload runs in this many rounds (default 5; issue 11's targets are judged over at least 5, and
fewer make the run warn); each round visits every peer once, in a rotated order, so the machine's drift
(other load, vCPU wake-up latency) is spread over all peers.

.PARAMETER PingPongCount
64-byte round trips per peer, split over the rounds.

.PARAMETER IdleConnections
Idle connections opened through each proxy for the memory figure.

.PARAMETER Peer
Which rows to run, in this order (default: all). Names: direct, haproxy-splice, haproxy-splice-pipe1m,
haproxy, socat, go, zerocopyps-auto, zerocopyps-auto-pipe1m, zerocopyps-splice, zerocopyps-buffered; and
zerocopyps-candidate with -CandidateBuild.

.PARAMETER CandidateBuild
A folder holding another build of benchmarks/ZeroCopyPS.LoadGen (an executable ZeroCopyPS.LoadGen), say
of a change under test: it runs as one more row, zerocopyps-candidate (Auto mode, default pipes), beside
this checkout's zerocopyps-auto, in the same interleaved rounds. How a change to the relay is judged one
at a time (docs/benchmarks.md, "Hot path: one change at a time").

.PARAMETER OutputPath
Folder for results.json, results.md and peers.svg (created if missing). Default: none (tables on the
console, the chart in out/bench/peers.svg).

.PARAMETER ChartPath
Where to write the SVG chart instead (default: peers.svg in -OutputPath, else out/bench/peers.svg).

.PARAMETER SkipInstall
Never call apt-get; peers whose tools are missing are not run.

.EXAMPLE
dotnet tool restore; dotnet pwsh -NoProfile -File scripts/Compare-Peers.ps1 -OutputPath out/bench/peers

.EXAMPLE
git worktree add ../zcps-change my-branch; dotnet build ../zcps-change/benchmarks/ZeroCopyPS.LoadGen -c Release -o out/candidate
dotnet pwsh -NoProfile -File scripts/Compare-Peers.ps1 -Peer zerocopyps-auto,zerocopyps-candidate,haproxy-splice-pipe1m -CandidateBuild out/candidate -Rounds 10

This checkout against my-branch (and HAProxy on equal pipes for scale), ten rounds.
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 60)] [double] $Seconds = 4,
    # Workloads alternate between peers in this many rounds (each round: -Seconds / -Rounds per peer).
    # Issue 11's targets are judged over at least 5; fewer are for a quick look (the run warns).
    [ValidateRange(1, 20)] [int] $Rounds = 5,
    [ValidateRange(100, 1000000)] [int] $PingPongCount = 10000,
    [ValidateRange(10, 5000)] [int] $IdleConnections = 1000,
    # pwsh -File hands "a,b" over as one string: split below, then checked against the known names.
    # Default: every known peer (Get-KnownPeer in peers/Peers.psm1).
    [string[]] $Peer,
    [string] $CandidateBuild,
    [string] $OutputPath,
    [string] $ChartPath,
    [switch] $SkipInstall
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
# Split by concern: processes (the shared helpers), peers, workloads, report.
Import-Module (Join-Path $PSScriptRoot 'ZeroCopyPS.Scripts.psm1') -Force
foreach ($part in 'Peers', 'Workloads', 'PeerReport', 'PeerChart') { Import-Module (Join-Path $PSScriptRoot "peers/$part.psm1") -Force }

$KnownPeers = @(Get-KnownPeer)
if ($CandidateBuild) {
    $CandidateBuild = Join-Path (Resolve-Path -LiteralPath $CandidateBuild).Path 'ZeroCopyPS.LoadGen'
    if (-not (Test-Path -LiteralPath $CandidateBuild -PathType Leaf)) { throw "-CandidateBuild: no ZeroCopyPS.LoadGen in that folder ($CandidateBuild)." }
    $KnownPeers += 'zerocopyps-candidate'
}
$RepoRoot = Split-Path -Parent $PSScriptRoot
# The pipelined workload: 50 connections with 16 requests of 30 bytes in flight on each (redis-benchmark -P 16's shape).
$Pipeline = [ordered]@{ Connections = 50; Depth = 16; Size = 30 }
if (-not $Peer) { $Peer = $KnownPeers }
$Peer = @($Peer | ForEach-Object { $_ -split ',' } | ForEach-Object { $_.Trim() } | Where-Object { $_ })
foreach ($p in $Peer) {
    if ($p -notin $KnownPeers) { throw "Unknown peer '$p'. Known: $($KnownPeers -join ', ')." }
}

# What every part needs: the work folder, every process started (ended by PID at the end), the tools built.
$Run = [pscustomobject]@{
    Work = Join-Path ([IO.Path]::GetTempPath()) "zcps-peers-$PID"
    Started = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
    LoadGen = $null; GoProxy = $null; CandidateLoadGen = $CandidateBuild
    ClockTicksPerSecond = 100   # USER_HZ; checked below with getconf where available
}

$servers = @()
$peers = [System.Collections.Generic.List[object]]::new()
$unstarted = [System.Collections.Generic.List[object]]::new()
$clock = [System.Diagnostics.Stopwatch]::StartNew()
# The 1-, 5- and 15-minute load averages: other work on the machine moves every figure (docs/benchmarks.md, section 2).
function Get-LoadAverage { (Get-Content /proc/loadavg -ErrorAction SilentlyContinue) -replace '^(\S+ \S+ \S+).*', '$1' }
$loadAtStart = Get-LoadAverage
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
            # One value per round for every figure measured in rounds (idle memory is measured once, into the row).
            $samples = [ordered]@{}
            foreach ($m in Get-PeerMetric) { if ($m.Name -ne 'IdleKiBPerConnection') { $samples[$m.Name] = [System.Collections.Generic.List[double]]::new() } }
            $peers.Add([pscustomobject]@{
                Kind = $kind; Row = $row; Sink = (Start-Peer $kind $sink 'sink' $Run); Echo = (Start-Peer $kind $echo 'echo' $Run); Samples = $samples
            })
        }
        catch {
            Write-Warning "$kind could not start: $($_.Exception.Message)"
            $row.Note = "could not start: $($_.Exception.Message)"
            $unstarted.Add($row)
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
        $null = Invoke-LoadGen $Run @('pipeline', '--target', $p.Echo.Endpoint, '--seconds', '0.2', '--connections', "$($Pipeline.Connections)")
    }

    $slice = $Seconds / $Rounds
    Write-Step "bulk, 1 stream: $Rounds rounds of $([math]::Round($slice, 2)) s per peer"
    Invoke-Rounds $peers $Rounds 'bulk' {
        param($p)
        $proxyPid = if ($p.Sink.Tracked) { $p.Sink.Tracked.Process.Id }
        $cpuBefore = if ($proxyPid) { Get-CpuSeconds $proxyPid $Run.ClockTicksPerSecond }
        $r = Invoke-LoadGen $Run @('bulk', '--target', $p.Sink.Endpoint, '--seconds', "$slice")
        if ($r.errors -or -not $r.bytes) { $p.Row.Note += "bulk: $($r.firstError) "; return }
        $p.Samples.Bulk1MBps.Add($r.bytes / $r.seconds / 1e6)
        if ($proxyPid) {
            if ($p.Kind -eq 'socat') { Start-Sleep -Milliseconds 300 }   # let socat reap its child: cutime/cstime count it then
            $p.Samples.CpuSecondsPerGiB.Add(((Get-CpuSeconds $proxyPid $Run.ClockTicksPerSecond) - $cpuBefore) / ($r.bytes / 1GB))
        }
    }
    Write-Step "bulk, 8 streams: $Rounds rounds ($([int]$clock.Elapsed.TotalSeconds) s elapsed)"
    Invoke-Rounds $peers $Rounds 'bulk8' {
        param($p)
        $r = Invoke-LoadGen $Run @('bulk', '--target', $p.Sink.Endpoint, '--seconds', "$slice", '--streams', '8')
        if ($r.errors -or -not $r.bytes) { $p.Row.Note += "bulk8: $($r.firstError) "; return }
        $p.Samples.Bulk8MBps.Add($r.bytes / $r.seconds / 1e6)
    }
    Write-Step "64-byte ping-pong: $Rounds rounds ($([int]$clock.Elapsed.TotalSeconds) s elapsed)"
    Invoke-Rounds $peers $Rounds 'pingpong' {
        param($p)
        $r = Invoke-LoadGen $Run @('pingpong', '--target', $p.Echo.Endpoint, '--count', "$([int][math]::Ceiling($PingPongCount / $Rounds))", '--size', '64', '--warmup', '200')
        $p.Samples.P50Microseconds.Add($r.p50us); $p.Samples.P99Microseconds.Add($r.p99us)
    }
    Write-Step "short connections: $Rounds rounds ($([int]$clock.Elapsed.TotalSeconds) s elapsed)"
    Invoke-Rounds $peers $Rounds 'connrate' {
        param($p)
        $r = Invoke-LoadGen $Run @('connrate', '--target', $p.Echo.Endpoint, '--seconds', "$slice", '--concurrency', '4', '--size', '64')
        $p.Samples.ConnectionsPerSecond.Add($r.completed / $r.seconds)
        if ($r.failed) { $p.Row.Note += "connrate: $($r.failed) failed ($($r.firstError)) " }
    }
    Write-Step "pipelined requests ($($Pipeline.Connections) connections × $($Pipeline.Depth) × $($Pipeline.Size) B): $Rounds rounds ($([int]$clock.Elapsed.TotalSeconds) s elapsed)"
    Invoke-Rounds $peers $Rounds 'pipeline' {
        param($p)
        $r = Invoke-LoadGen $Run @('pipeline', '--target', $p.Echo.Endpoint, '--seconds', "$slice", '--connections', "$($Pipeline.Connections)", '--depth', "$($Pipeline.Depth)", '--size', "$($Pipeline.Size)")
        if ($r.errors -or $r.mismatches -or $r.connected -lt $Pipeline.Connections) {
            $p.Row.Note += "pipeline: $($r.connected) connected, $($r.errors) errors, $($r.mismatches) mismatched batches ($($r.firstError)) "
            return
        }
        $p.Samples.PipelineRequestsPerSecond.Add($r.perSecond); $p.Samples.PipelineBatchP50Microseconds.Add($r.batchP50us)
    }

    foreach ($p in $peers) {
        foreach ($name in $p.Samples.Keys) { Set-PeerFigure $p.Row $name $p.Samples[$name].ToArray() }
    }
    # One row per peer asked for, in the order asked for: measured, failed to start, or not available.
    $byKind = @{}
    foreach ($row in $unstarted) { $byKind[$row.Peer] = $row }
    foreach ($p in $peers) { $byKind[$p.Kind] = $p.Row }
    $rows = @(foreach ($kind in $Peer) {
            if ($byKind.ContainsKey($kind)) { $byKind[$kind] } else { $row = New-PeerRow $kind; $row.Note = 'not run: its program is not available'; $row }
        })
    Set-PeerRatio $rows
    $rows | Where-Object Note | Format-Table Peer, Note -Wrap | Out-String | Write-Host

    $table = Format-PeerTable $rows $Rounds
    $targets = Get-TargetReport $rows
    $machine = "$([Environment]::ProcessorCount) CPUs, $((Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '^model name\s*:\s*', ''), kernel $(& uname -r)"
    $settings = "-Seconds $Seconds, -Rounds $Rounds, -PingPongCount $PingPongCount, -IdleConnections $IdleConnections"
    $load = "$loadAtStart at the start, $(Get-LoadAverage) at the end"
    Write-Host ''
    Write-Host "Peer comparison on loopback ($machine; $settings; load average $load)"
    Write-Host $table
    Write-Host ''
    Write-Host 'Issue 11 targets (medians):'
    Write-Host $targets
    if ($Rounds -lt 5) { Write-Warning "-Rounds ${Rounds}: the targets are judged over at least 5 rounds." }

    $chartFile = if ($ChartPath) { $ChartPath } elseif ($OutputPath) { Join-Path $OutputPath 'peers.svg' } else { Join-Path $RepoRoot 'out/bench/peers.svg' }
    $chart = Write-PeerChart -Rows $rows -Path $chartFile -Title 'ZeroCopyPS and its peers on loopback' `
        -Subtitle ("{0:yyyy-MM-dd HH:mm} UTC; {1}" -f [datetime]::UtcNow, $machine), "$settings; load average $load"
    Write-Host "Chart: $chart"
    Write-Host ("Total time: {0:N0} s" -f $clock.Elapsed.TotalSeconds)

    if ($OutputPath) {
        $null = New-Item -ItemType Directory -Force -Path $OutputPath
        [pscustomobject][ordered]@{
            Machine = $machine; LoadAverage = $load; Seconds = $Seconds; Rounds = $Rounds; PingPongCount = $PingPongCount; IdleConnections = $IdleConnections
            Pipeline = $Pipeline; TotalSeconds = [math]::Round($clock.Elapsed.TotalSeconds); BestExternalPeer = Get-BestPeerSummary $rows; Chart = $chart; Rows = @($rows)
        } | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath (Join-Path $OutputPath 'results.json') -Encoding utf8NoBOM
        "$table`n`nIssue 11 targets (medians):`n$targets`n`n![peers]($(Split-Path -Leaf $chart))`n" | Set-Content -LiteralPath (Join-Path $OutputPath 'results.md') -Encoding utf8NoBOM
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
