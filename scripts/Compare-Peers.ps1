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

$KnownPeers = 'direct', 'haproxy-splice', 'haproxy', 'socat', 'go', 'zerocopyps-splice', 'zerocopyps-buffered', 'zerocopyps-auto'
$Peer = @($Peer | ForEach-Object { $_ -split ',' } | ForEach-Object { $_.Trim() } | Where-Object { $_ })
foreach ($p in $Peer) {
    if ($p -notin $KnownPeers) { throw "Unknown peer '$p'. Known: $($KnownPeers -join ', ')." }
}

$RepoRoot = Split-Path -Parent $PSScriptRoot
$Work = Join-Path ([IO.Path]::GetTempPath()) "zcps-peers-$PID"
$Started = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
$ClockTicksPerSecond = 100   # USER_HZ; checked below with getconf where available
$LoadGen = $null

function Write-Step([string] $Message) { Write-Host "==> $Message" }

# ------------------------------------------------------------------------------ processes

function ConvertTo-ShellWord([string] $Text) { "'" + ($Text -replace "'", "'\''") + "'" }

# Starts a long-running peer through `sh -c exec`, so the PID is the program's own and its output goes
# to files (nothing can block on a full pipe). Returns the Process; it is ended in the finally block.
function Start-Tracked([string] $Name, [string] $File, [string[]] $Arguments) {
    $stdout = Join-Path $Work "$Name.out"
    $stderr = Join-Path $Work "$Name.err"
    $command = 'exec ' + (@($File) + $Arguments | ForEach-Object { ConvertTo-ShellWord $_ }) -join ' '
    $command += " >$(ConvertTo-ShellWord $stdout) 2>$(ConvertTo-ShellWord $stderr)"
    $info = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
    $info.ArgumentList.Add('-c')
    $info.ArgumentList.Add($command)
    $info.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($info)
    $Started.Add($process)
    [pscustomobject]@{ Name = $Name; Process = $process; Stdout = $stdout; Stderr = $stderr }
}

# Waits for a "<Word> value" line in a tracked process's stdout file.
function Wait-Line($Tracked, [string] $Word, [double] $TimeoutSeconds = 20) {
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        if (Test-Path -LiteralPath $Tracked.Stdout) {
            $line = Get-Content -LiteralPath $Tracked.Stdout -ErrorAction SilentlyContinue | Where-Object { $_ -like "$Word *" } | Select-Object -First 1
            if ($line) { return ($line -split ' ', 2)[1].Trim() }
        }
        if ($Tracked.Process.HasExited) { break }
        Start-Sleep -Milliseconds 50
    }
    $err = if (Test-Path -LiteralPath $Tracked.Stderr) { (Get-Content -Raw -LiteralPath $Tracked.Stderr) } else { '' }
    throw "$($Tracked.Name) did not print '$Word' within $TimeoutSeconds s (exited: $($Tracked.Process.HasExited)). $err"
}

function Wait-Connectable([string] $Endpoint, [double] $TimeoutSeconds = 20) {
    $ip, $port = $Endpoint -split ':'
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        $client = [System.Net.Sockets.TcpClient]::new()
        try { $client.Connect($ip, [int]$port); return } catch { Start-Sleep -Milliseconds 50 } finally { $client.Dispose() }
    }
    throw "Nothing accepts connections on $Endpoint after $TimeoutSeconds s."
}

function Get-FreePort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Stop-Tracked($Tracked) {
    if (-not $Tracked) { return }
    $process = $Tracked.Process
    foreach ($child in Get-ChildProcessId $process.Id) { try { [System.Diagnostics.Process]::GetProcessById($child).Kill() } catch { } }
    if (-not $process.HasExited) {
        & kill -TERM $process.Id 2>$null
        if (-not $process.WaitForExit(3000)) { try { $process.Kill($true) } catch { } ; $null = $process.WaitForExit(3000) }
    }
}

function Get-ChildProcessId([int] $ParentId) {
    foreach ($dir in [IO.Directory]::EnumerateDirectories('/proc')) {
        $name = [IO.Path]::GetFileName($dir)
        if ($name -notmatch '^\d+$') { continue }
        try { $stat = [IO.File]::ReadAllText("$dir/stat") } catch { continue }
        $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
        if ([int]$fields[1] -eq $ParentId) { [int]$name }
    }
}

# ------------------------------------------------------------------------------ /proc metrics

# utime + stime + cutime + cstime in seconds (children count once reaped: socat's forks).
function Get-CpuSeconds([int] $ProcessId) {
    $stat = [IO.File]::ReadAllText("/proc/$ProcessId/stat")
    $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
    ([long]$fields[11] + [long]$fields[12] + [long]$fields[13] + [long]$fields[14]) / $ClockTicksPerSecond
}

function Get-StatusKiB([int] $ProcessId, [string] $Field) {
    $line = [IO.File]::ReadAllLines("/proc/$ProcessId/status") | Where-Object { $_ -like "${Field}:*" } | Select-Object -First 1
    [long](($line -split '\s+')[1])
}

# Resident memory of a proxy in KiB: its VmRSS, plus the Pss of forked children.
function Get-TreeMemoryKiB([int] $ProcessId) {
    $total = Get-StatusKiB $ProcessId 'VmRSS'
    foreach ($child in Get-ChildProcessId $ProcessId) {
        try {
            $pss = [IO.File]::ReadAllLines("/proc/$child/smaps_rollup") | Where-Object { $_ -like 'Pss:*' } | Select-Object -First 1
            $total += [long](($pss -split '\s+')[1])
        }
        catch { }
    }
    $total
}

# ------------------------------------------------------------------------------ load generator

function Invoke-LoadGen([string[]] $Arguments, [double] $TimeoutSeconds = 120) {
    $info = [System.Diagnostics.ProcessStartInfo]::new($LoadGen)
    foreach ($a in $Arguments) { $info.ArgumentList.Add($a) }
    $info.RedirectStandardOutput = $true
    $info.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($info)
    $Started.Add($process)
    $output = $process.StandardOutput.ReadToEndAsync()
    if (-not $process.WaitForExit([int]($TimeoutSeconds * 1000))) {
        $process.Kill($true)
        throw "LoadGen $($Arguments -join ' ') did not finish within $TimeoutSeconds s."
    }
    $process.WaitForExit()
    if ($process.ExitCode -ne 0) { throw "LoadGen $($Arguments -join ' ') exited $($process.ExitCode)." }
    $output.Result.Trim().Split("`n")[-1] | ConvertFrom-Json
}

# ------------------------------------------------------------------------------ peers

function Start-Proxy([string] $Kind, [string] $Target, [string] $Tag) {
    switch ($Kind) {
        'direct' { return [pscustomobject]@{ Endpoint = $Target; Tracked = $null } }
        { $_ -in 'haproxy-splice', 'haproxy' } {
            $port = Get-FreePort
            $splice = if ($Kind -eq 'haproxy-splice') { "    option splice-request`n    option splice-response" } else { '' }
            $config = Join-Path $Work "$Kind-$Tag.cfg"
            Set-Content -LiteralPath $config -Encoding utf8NoBOM -Value @"
global
    maxconn 4000
defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
$splice
listen peer
    bind 127.0.0.1:$port
    server target $Target
"@
            $tracked = Start-Tracked "$Kind-$Tag" 'haproxy' @('-db', '-f', $config)
            $endpoint = "127.0.0.1:$port"
        }
        'socat' {
            $port = Get-FreePort
            $tracked = Start-Tracked "socat-$Tag" 'socat' @("TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,backlog=4096,nodelay", "TCP4:$Target,nodelay")
            $endpoint = "127.0.0.1:$port"
        }
        'go' {
            $tracked = Start-Tracked "go-$Tag" $script:GoProxy @('-listen', '127.0.0.1:0', '-target', $Target)
            $endpoint = Wait-Line $tracked 'LISTENING'
        }
        default {
            $mode = $Kind -replace '^zerocopyps-', ''
            $tracked = Start-Tracked "$Kind-$Tag" $LoadGen @('proxy', '--target', $Target, '--mode', $mode, '--lifetime', '900')
            $endpoint = Wait-Line $tracked 'LISTENING'
        }
    }
    Wait-Connectable $endpoint
    [pscustomobject]@{ Endpoint = $endpoint; Tracked = $tracked }
}

function New-Row([string] $Kind) {
    [pscustomobject][ordered]@{
        Peer = $Kind; Bulk1MBps = $null; Bulk8MBps = $null; CpuSecondsPerGiB = $null
        P50Microseconds = $null; P99Microseconds = $null; ConnectionsPerSecond = $null; IdleKiBPerConnection = $null; Note = ''
    }
}

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    if (-not $sorted) { return $null }
    $middle = [int][math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$middle] } else { ($sorted[$middle - 1] + $sorted[$middle]) / 2 }
}

# The marginal resident memory of idle connections, on a proxy that has served only a short warm-up.
function Measure-IdleMemory($Peer) {
    $pid_ = $Peer.Echo.Tracked.Process.Id
    $null = Invoke-LoadGen @('pingpong', '--target', $Peer.Echo.Endpoint, '--count', '200', '--warmup', '50')
    $null = Invoke-LoadGen @('idle', '--target', $Peer.Echo.Endpoint, '--count', '20', '--hold', '0')
    Start-Sleep -Milliseconds 500
    $before = Get-TreeMemoryKiB $pid_
    $idle = Start-Tracked "idle-$($Peer.Kind)" $LoadGen @('idle', '--target', $Peer.Echo.Endpoint, '--count', "$IdleConnections", '--hold', '3')
    $opened = [int](Wait-Line $idle 'READY' 60)
    Start-Sleep -Milliseconds 1000
    $after = Get-TreeMemoryKiB $pid_
    $null = $idle.Process.WaitForExit(15000)
    if ($opened -gt 0) { $Peer.Row.IdleKiBPerConnection = [math]::Round(($after - $before) / $opened, 2) }
    if ($opened -lt $IdleConnections) { $Peer.Row.Note += "idle: only $opened of $IdleConnections opened " }
    Start-Sleep -Milliseconds 500   # let the proxy close them before anything is timed
}

# Runs $Action once per peer per round, rotating the order every round: slow drift of the machine
# (other load, CPU frequency, vCPU wake-up latency) then spreads over every peer instead of one row.
function Invoke-Rounds($Peers, [string] $What, [scriptblock] $Action) {
    for ($round = 0; $round -lt $Rounds; $round++) {
        for ($i = 0; $i -lt $Peers.Count; $i++) {
            $peer = $Peers[($i + $round) % $Peers.Count]
            try { & $Action $peer }
            catch {
                Write-Warning "$($peer.Kind) $What failed: $($_.Exception.Message)"
                $peer.Row.Note += "$What failed: $($_.Exception.Message) "
            }
        }
    }
}

# ------------------------------------------------------------------------------ set-up

function Install-Peers {
    $wanted = [ordered]@{ haproxy = 'haproxy'; socat = 'socat'; go = 'golang-go' }
    $missing = @($wanted.Keys | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction SilentlyContinue) })
    if (-not $missing) { return }
    $isRoot = (& id -u) -eq '0'
    if ($SkipInstall -or -not $isRoot -or -not (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        Write-Warning "Missing $($missing -join ', ') and not installing (need root with apt-get, without -SkipInstall); those peers are skipped."
        return
    }
    Write-Step "apt-get install $($missing | ForEach-Object { $wanted[$_] })"
    $env:DEBIAN_FRONTEND = 'noninteractive'
    & apt-get update -qq | Out-Host
    & apt-get install -y -qq @($missing | ForEach-Object { $wanted[$_] }) | Out-Host
}

function Build-Tools {
    Write-Step 'dotnet build benchmarks/ZeroCopyPS.LoadGen (Release)'
    & dotnet build (Join-Path $RepoRoot 'benchmarks/ZeroCopyPS.LoadGen/ZeroCopyPS.LoadGen.csproj') -c Release -nologo -v quiet | Out-Host
    if ($LASTEXITCODE -ne 0) { throw 'Building the load generator failed.' }
    $script:LoadGen = Join-Path $RepoRoot 'benchmarks/ZeroCopyPS.LoadGen/bin/Release/net10.0/ZeroCopyPS.LoadGen'

    $script:GoProxy = $null
    if (Get-Command go -CommandType Application -ErrorAction SilentlyContinue) {
        Write-Step 'go build scripts/peers/goproxy'
        # Local toolchain, no module downloads: the proxy has no dependencies.
        $env:GOTOOLCHAIN = 'local'; $env:GOPROXY = 'off'; $env:GOFLAGS = '-mod=mod'
        Push-Location (Join-Path $RepoRoot 'scripts/peers/goproxy')
        try { & go build -o (Join-Path $Work 'goproxy') . | Out-Host } finally { Pop-Location }
        if ($LASTEXITCODE -eq 0) { $script:GoProxy = Join-Path $Work 'goproxy' }
    }
}

function Test-PeerAvailable([string] $Kind) {
    switch ($Kind) {
        { $_ -like 'haproxy*' } { return [bool](Get-Command haproxy -CommandType Application -ErrorAction SilentlyContinue) }
        'socat' { return [bool](Get-Command socat -CommandType Application -ErrorAction SilentlyContinue) }
        'go' { return [bool]$script:GoProxy }
        default { return $true }
    }
}

# ------------------------------------------------------------------------------ report

$Metrics = @(
    @{ Name = 'Bulk1MBps'; Header = 'Bulk 1 stream MB/s'; Higher = $true }
    @{ Name = 'Bulk8MBps'; Header = 'Bulk 8 streams MB/s'; Higher = $true }
    @{ Name = 'CpuSecondsPerGiB'; Header = 'CPU s/GiB'; Higher = $false }
    @{ Name = 'P50Microseconds'; Header = '64 B p50 µs'; Higher = $false }
    @{ Name = 'P99Microseconds'; Header = '64 B p99 µs'; Higher = $false }
    @{ Name = 'ConnectionsPerSecond'; Header = 'conn/s'; Higher = $true }
    @{ Name = 'IdleKiBPerConnection'; Header = 'KiB/idle conn'; Higher = $false }
)
$ExternalPeers = 'haproxy-splice', 'haproxy', 'socat', 'go'

function Get-BestPeer($Rows, $Metric) {
    $candidates = @($Rows | Where-Object { $_.Peer -in $ExternalPeers -and $null -ne $_.($Metric.Name) })
    if (-not $candidates) { return $null }
    $sorted = $candidates | Sort-Object { $_.($Metric.Name) } -Descending:$Metric.Higher
    @($sorted)[0]
}

function Format-PeerTable($Rows) {
    $direct = $Rows | Where-Object Peer -eq 'direct' | Select-Object -First 1
    $lines = [System.Collections.Generic.List[string]]::new()
    $lines.Add('| Peer | ' + (($Metrics | ForEach-Object { $_.Header }) -join ' | ') + ' |')
    $lines.Add('|---|' + (($Metrics | ForEach-Object { '---:' }) -join '|') + '|')
    foreach ($row in $Rows) {
        $cells = foreach ($m in $Metrics) {
            $value = $row.($m.Name)
            if ($null -eq $value) { '–'; continue }
            $text = '{0:N0}' -f $value
            if ($m.Name -in 'CpuSecondsPerGiB', 'IdleKiBPerConnection') { $text = '{0:N3}' -f $value }
            if ($m.Name -like 'P*Microseconds') { $text = '{0:N1}' -f $value }
            $best = Get-BestPeer $Rows $m
            if ($best -and $row.Peer -ne 'direct' -and $best.($m.Name)) { $text += ' (×{0:N2})' -f ($value / $best.($m.Name)) }
            if ($m.Name -eq 'Bulk1MBps' -and $direct -and $direct.Bulk1MBps -and $row.Peer -ne 'direct') { $text += ' {0:P0} of direct' -f ($value / $direct.Bulk1MBps) }
            $text
        }
        $lines.Add("| $($row.Peer) | " + ($cells -join ' | ') + ' |')
    }
    $lines.Add('')
    $lines.Add('(×N) = value / best external peer (HAProxy splice/no-splice, socat, Go) for that column; higher is better for MB/s and conn/s, lower for CPU, latency and memory.')
    $bestLine = foreach ($m in $Metrics) { $b = Get-BestPeer $Rows $m; if ($b) { "$($m.Header): $($b.Peer)" } }
    $lines.Add('Best external peer per column: ' + ($bestLine -join '; ') + '.')
    $lines -join "`n"
}

# Issue 2's performance targets, checked for each ZeroCopyPS mode.
function Get-TargetReport($Rows) {
    $direct = $Rows | Where-Object Peer -eq 'direct' | Select-Object -First 1
    $haproxySplice = $Rows | Where-Object Peer -eq 'haproxy-splice' | Select-Object -First 1
    $haproxyRows = @($Rows | Where-Object Peer -in 'haproxy-splice', 'haproxy')
    $peers = @($Rows | Where-Object Peer -in $ExternalPeers)
    $lines = foreach ($z in $Rows | Where-Object Peer -like 'zerocopyps-*') {
        $checks = [System.Collections.Generic.List[string]]::new()
        $bestBulk = ($peers | Measure-Object Bulk1MBps -Maximum).Maximum
        if ($bestBulk) { $checks.Add(('bulk ≥ 1.2× best peer: {0:N2}× {1}' -f ($z.Bulk1MBps / $bestBulk), $(if ($z.Bulk1MBps -ge 1.2 * $bestBulk) { 'MET' } else { 'MISSED' }))) }
        if ($direct) { $checks.Add(('bulk ≥ 75% of direct: {0:P0} {1}' -f ($z.Bulk1MBps / $direct.Bulk1MBps), $(if ($z.Bulk1MBps -ge 0.75 * $direct.Bulk1MBps) { 'MET' } else { 'MISSED' }))) }
        if ($haproxySplice -and $null -ne $haproxySplice.CpuSecondsPerGiB) { $checks.Add(('CPU s/GiB < HAProxy-splice ({0:N3}): {1:N3} {2}' -f $haproxySplice.CpuSecondsPerGiB, $z.CpuSecondsPerGiB, $(if ($z.CpuSecondsPerGiB -lt $haproxySplice.CpuSecondsPerGiB) { 'MET' } else { 'MISSED' }))) }
        $minP50 = ($peers | Measure-Object P50Microseconds -Minimum).Minimum
        if ($minP50) { $checks.Add(('p50 < every peer ({0:N1} µs): {1:N1} µs {2}' -f $minP50, $z.P50Microseconds, $(if ($z.P50Microseconds -lt $minP50) { 'MET' } else { 'MISSED' }))) }
        $haproxyRate = ($haproxyRows | Measure-Object ConnectionsPerSecond -Maximum).Maximum
        if ($haproxyRate) { $checks.Add(('conn/s ≥ HAProxy ({0:N0}): {1:N0} {2}' -f $haproxyRate, $z.ConnectionsPerSecond, $(if ($z.ConnectionsPerSecond -ge $haproxyRate) { 'MET' } else { 'MISSED' }))) }
        if ($null -ne $z.IdleKiBPerConnection) { $checks.Add(('≤ 3 KiB per idle connection: {0:N2} KiB {1}' -f $z.IdleKiBPerConnection, $(if ($z.IdleKiBPerConnection -le 3) { 'MET' } else { 'MISSED' }))) }
        "- $($z.Peer): " + ($checks -join '; ')
    }
    $lines -join "`n"
}

# ------------------------------------------------------------------------------ main

$null = New-Item -ItemType Directory -Force -Path $Work
$servers = @()
$peers = [System.Collections.Generic.List[object]]::new()
$clock = [System.Diagnostics.Stopwatch]::StartNew()
try {
    if (Get-Command getconf -ErrorAction SilentlyContinue) { $ClockTicksPerSecond = [int](& getconf CLK_TCK) }
    Install-Peers
    Build-Tools

    $sinkServer = Start-Tracked 'sink' $LoadGen @('server', '--kind', 'sink', '--lifetime', '900')
    $echoServer = Start-Tracked 'echo' $LoadGen @('server', '--kind', 'echo', '--lifetime', '900')
    $servers = @($sinkServer, $echoServer)
    $sink = Wait-Line $sinkServer 'LISTENING'
    $echo = Wait-Line $echoServer 'LISTENING'
    Write-Step "sink $sink, echo $echo"

    # Every proxy up front, two per peer (one in front of the sink, one in front of the echo server);
    # idle ones cost nothing measurable, and having them all lets the workloads alternate between peers.
    foreach ($kind in $Peer) {
        if (-not (Test-PeerAvailable $kind)) { Write-Warning "$kind skipped: its program is not available."; continue }
        $row = New-Row $kind
        try {
            $peers.Add([pscustomobject]@{
                Kind = $kind; Row = $row; Sink = (Start-Proxy $kind $sink 'sink'); Echo = (Start-Proxy $kind $echo 'echo')
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
        try { Measure-IdleMemory $p } catch { Write-Warning "$($p.Kind) idle failed: $($_.Exception.Message)"; $p.Row.Note += 'idle failed ' }
    }

    Write-Step "warm-up ($([int]$clock.Elapsed.TotalSeconds) s elapsed)"
    foreach ($p in $peers) {
        $null = Invoke-LoadGen @('bulk', '--target', $p.Sink.Endpoint, '--seconds', '0.5')   # JIT, pools, pipes
        $null = Invoke-LoadGen @('pingpong', '--target', $p.Echo.Endpoint, '--count', '500', '--warmup', '100')
    }

    $slice = $Seconds / $Rounds
    Write-Step "bulk, 1 stream: $Rounds rounds of $([math]::Round($slice, 2)) s per peer"
    Invoke-Rounds $peers 'bulk' {
        param($p)
        $proxyPid = if ($p.Sink.Tracked) { $p.Sink.Tracked.Process.Id }
        $cpuBefore = if ($proxyPid) { Get-CpuSeconds $proxyPid }
        $r = Invoke-LoadGen @('bulk', '--target', $p.Sink.Endpoint, '--seconds', "$slice")
        if ($proxyPid) {
            if ($p.Kind -eq 'socat') { Start-Sleep -Milliseconds 300 }   # let socat reap its child: cutime/cstime count it then
            $p.Bulk.Cpu += (Get-CpuSeconds $proxyPid) - $cpuBefore
        }
        $p.Bulk.Bytes += $r.bytes; $p.Bulk.Seconds += $r.seconds
        if ($r.errors) { $p.Row.Note += "bulk: $($r.firstError) " }
    }
    Write-Step "bulk, 8 streams: $Rounds rounds ($([int]$clock.Elapsed.TotalSeconds) s elapsed)"
    Invoke-Rounds $peers 'bulk8' {
        param($p)
        $r = Invoke-LoadGen @('bulk', '--target', $p.Sink.Endpoint, '--seconds', "$slice", '--streams', '8')
        $p.Bulk8.Bytes += $r.bytes; $p.Bulk8.Seconds += $r.seconds
        if ($r.errors) { $p.Row.Note += "bulk8: $($r.firstError) " }
    }
    Write-Step "64-byte ping-pong: $Rounds rounds ($([int]$clock.Elapsed.TotalSeconds) s elapsed)"
    Invoke-Rounds $peers 'pingpong' {
        param($p)
        $r = Invoke-LoadGen @('pingpong', '--target', $p.Echo.Endpoint, '--count', "$([int][math]::Ceiling($PingPongCount / $Rounds))", '--size', '64', '--warmup', '200')
        $p.P50.Add($r.p50us); $p.P99.Add($r.p99us)
    }
    Write-Step "short connections: $Rounds rounds ($([int]$clock.Elapsed.TotalSeconds) s elapsed)"
    Invoke-Rounds $peers 'connrate' {
        param($p)
        $r = Invoke-LoadGen @('connrate', '--target', $p.Echo.Endpoint, '--seconds', "$slice", '--concurrency', '4', '--size', '64')
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
    foreach ($kind in $Peer) { if ($kind -notin $rows.Peer) { $rows += New-Row $kind | ForEach-Object { $_.Note = 'not run'; $_ } } }
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
    foreach ($p in $peers) { Stop-Tracked $p.Sink.Tracked; Stop-Tracked $p.Echo.Tracked }
    foreach ($server in $servers) { Stop-Tracked $server }
    # Anything still running that this script started (by PID only).
    foreach ($process in $Started) {
        try { if (-not $process.HasExited) { $process.Kill($true); $null = $process.WaitForExit(3000) } } catch { }
    }
    Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue
}
