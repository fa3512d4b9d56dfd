#!/usr/bin/env pwsh

<#
.SYNOPSIS
Soaks a ZeroCopyPS proxy: N minutes of mixed loopback traffic, every connection checked against its statistics.

.DESCRIPTION
A benchmark script, not a CI test. It starts three processes, all on 127.0.0.1 and all tracked by PID:

  server      benchmarks/ZeroCopyPS.LoadGen "server --kind soak": reads a small header, then the request it
              announces, answers with the reply it asks for; one JSON line per connection (tag, bytes, content check)
  proxy host  a pwsh process (scripts/soak/ProxyHost.ps1) that imports the built module, runs
              Start-ZeroCopyProxy (job mode) in front of the server and drains Receive-Job every 250 ms, writing
              each ConnectionStatistics object as a JSON line; its RSS, descriptors and threads are sampled
  client      LoadGen "soak": -Concurrency threads of mixed connections for -Minutes: short request/response,
              bulk uploads and downloads (1 KiB to -MaxBytes, log-uniform), half-closed exchanges (the client
              sends and shuts its write side, the server answers after the FIN), client aborts with RST
              (SO_LINGER 0) part-way through an upload or a download, and slow readers on either side.
              One JSON line per connection: tag, local port, bytes sent and received, content check.

Afterwards LoadGen "soak-check" joins the three record files (client to proxy by local port, i.e. the
statistics' ClientEndPoint; client to server by tag). A connection that ended normally must agree exactly:
BytesClientToTarget = bytes the server received = bytes the client sent, BytesTargetToClient = bytes the
client received = bytes the server sent, BytesLost = 0, close reason ClientClosed or TargetClosed,
content intact. An aborted one (reset by the client) is reported apart: its bytes in flight are lost by
design, so only what cannot happen counts as a mismatch there: a peer that received more than the proxy says
it delivered, a proxy that delivered more than was sent, BytesSpliced + BytesCopied different from the bytes
delivered, or wrong content. Records missing on any side, duplicated, or dropped by the job's history limit
are counted separately.

Results: results.json and results.md in -OutputPath, a one-screen summary on the console. Exit code 1 when
there is any mismatch or missing/duplicate/dropped record, or a process failed; 0 otherwise. Memory and
descriptor drift are reported, not judged: read them next to their slope and the samples.

.PARAMETER Minutes
How long the client generates traffic. Warm-up, idle samples and the check add about half a minute.

.PARAMETER Engine
Epoll (the Linux engine, splice) or Managed (the portable engine, .NET async sockets, buffered).

.PARAMETER CopyMode
Auto, Splice or Buffered (Start-ZeroCopyProxy -CopyMode).

.PARAMETER OutputPath
Folder for results.json and results.md (created if missing). Default: out/bench/soak under the repository.

.PARAMETER Concurrency
Client threads, each running one connection after another.

.PARAMETER MaxBytes
Largest upload or download (and abort size). Sizes are log-uniform from 1 KiB (64 KiB for aborts) up to this.

.PARAMETER SampleSeconds
How often the proxy host's RSS, descriptors and threads are sampled.

.PARAMETER WarmupSeconds
Load time before the "after warm-up" sample that drift is measured from. Default: 20 % of the run, at most 60 s.

.PARAMETER HistoryLimit
Start-ZeroCopyProxy -HistoryLimit for the proxy job (its default). Receive-Job drains it every 250 ms; the job's
dropped-record count is reported either way, and a drop fails the run.

.PARAMETER Seed
Seed of the client's random choices: each client thread draws the same kinds, sizes and abort points again.

.PARAMETER ModulePath
The built module to import (default: out/ZeroCopyPS, what build.ps1 -Task Build stages).

.PARAMETER NoBuild
Use the LoadGen binary as it is instead of building benchmarks/ZeroCopyPS.LoadGen (Release) first.

.PARAMETER KeepRecords
Copy the three record files (client, server, proxy JSON lines) to -OutputPath/records. Kept anyway when the
check fails, so a mismatch can be looked at.

.EXAMPLE
dotnet tool restore; dotnet pwsh -NoProfile -File ./build.ps1 -Task Build
dotnet pwsh -NoProfile -File scripts/Invoke-Soak.ps1

The standard soak: 10 minutes, epoll engine, Auto copy mode, 8 client threads; results in out/bench/soak.

.EXAMPLE
dotnet pwsh -NoProfile -File scripts/Invoke-Soak.ps1 -Minutes 1 -Engine Managed -OutputPath out/bench/soak-managed

One minute on the portable engine (.NET async sockets, buffered copy), results in their own folder.
#>
[CmdletBinding()]
param(
    [ValidateRange(0.1, 1440)] [double] $Minutes = 10,
    [ValidateSet('Epoll', 'Managed')] [string] $Engine = 'Epoll',
    [ValidateSet('Auto', 'Splice', 'Buffered')] [string] $CopyMode = 'Auto',
    [string] $OutputPath = (Join-Path (Split-Path -Parent $PSScriptRoot) 'out/bench/soak'),
    [ValidateRange(1, 256)] [int] $Concurrency = 8,
    [ValidateRange(131072, 1073741824)] [long] $MaxBytes = 32MB,
    [ValidateRange(1, 60)] [double] $SampleSeconds = 5,
    [ValidateRange(0, 3600)] [double] $WarmupSeconds = [math]::Min(60, $Minutes * 60 * 0.2),
    [ValidateRange(0, 100000000)] [int] $HistoryLimit = 10000,
    [int] $Seed = 1,
    [string] $ModulePath = (Join-Path (Split-Path -Parent $PSScriptRoot) 'out/ZeroCopyPS'),
    [switch] $KeepRecords,
    [switch] $NoBuild
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$RepoRoot = Split-Path -Parent $PSScriptRoot
Import-Module (Join-Path $PSScriptRoot 'ZeroCopyPS.Scripts.psm1') -Force
Import-Module (Join-Path $PSScriptRoot 'soak/Soak.psm1') -Force
Import-Module (Join-Path $PSScriptRoot 'soak/SoakReport.psm1') -Force

$OutputPath = [IO.Path]::GetFullPath($OutputPath, (Get-Location).Path)
$ModulePath = [IO.Path]::GetFullPath($ModulePath, (Get-Location).Path)
$Work = Join-Path ([IO.Path]::GetTempPath()) "zcps-soak-$PID"
$Started = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
$LoadGenBin = Join-Path $RepoRoot 'out/bin/ZeroCopyPS.LoadGen'   # Build-RepoProject's folder: no target framework in the path
$LoadGen = Join-Path $LoadGenBin 'ZeroCopyPS.LoadGen'
$LoadSeconds = $Minutes * 60
# Every wait below is bounded by this: the client's own deadline plus its longest possible exchange.
$HardLimitSeconds = $LoadSeconds + 180
$Failures = [System.Collections.Generic.List[string]]::new()
$Samples = [System.Collections.Generic.List[object]]::new()
$keep = [bool]$KeepRecords
$exitCode = 1

function Read-HostStatus {
    $path = Join-Path $Work 'status.json'
    try { [IO.File]::ReadAllText($path) | ConvertFrom-Json } catch { $null }
}

function Add-Sample([string] $Phase, [double] $Seconds) {
    $sample = Get-ProcessSample -ProcessId $script:ProxyHost.Process.Id -Seconds $Seconds -Phase $Phase
    if (-not $sample) { $Failures.Add("the proxy host (PID $($script:ProxyHost.Process.Id)) is gone"); return $null }
    $status = Read-HostStatus
    if ($status) {
        $sample.Active = $status.ActiveConnections; $sample.Total = $status.TotalConnections
        # Pooled empty pipes hold 2 descriptors each by design: shown apart so a leak is not confused with them.
        $sample.PipesIdle = $status.PipesIdle; $sample.FdsLessIdlePipes = $sample.Fds - 2 * $status.PipesIdle
    }
    $Samples.Add($sample)
    $sample
}

# The command as it was given, for the report (in -File mode $MyInvocation.Line is empty).
$command = 'dotnet pwsh -NoProfile -File scripts/Invoke-Soak.ps1' + (-join @($PSBoundParameters.GetEnumerator() | ForEach-Object {
    if ($_.Value -is [switch]) { " -$($_.Key)" } else { " -$($_.Key) $($_.Value)" } }))
$cpuModel = (Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '^model name\s*:\s*', ''
$memoryGiB = [long]((Get-Content /proc/meminfo -TotalCount 1) -replace '\D', '') / 1MB
$machine = '{0} vCPUs ({1}), kernel {2}, {3:N1} GiB RAM' -f [Environment]::ProcessorCount, $cpuModel, (& uname -r), $memoryGiB
$loadBefore = (Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3
$clock = [System.Diagnostics.Stopwatch]::StartNew()
$null = New-Item -ItemType Directory -Force -Path $Work   # removed in the finally block below
try {
    if (-not (Test-Path -LiteralPath (Join-Path $ModulePath 'ZeroCopyPS.psd1'))) {
        throw "No built module at $ModulePath. Run: dotnet pwsh -NoProfile -File ./build.ps1 -Task Build"
    }
    if (-not $NoBuild) {
        Write-Step 'dotnet build benchmarks/ZeroCopyPS.LoadGen (Release)'
        $null = Build-RepoProject 'benchmarks/ZeroCopyPS.LoadGen/ZeroCopyPS.LoadGen.csproj' -Output $LoadGenBin
    }

    $server = Start-TrackedProcess -Name 'server' -File $LoadGen -Directory $Work -List $Started -Arguments @(
        'server', '--kind', 'soak', '--records', (Join-Path $Work 'server.jsonl'), '--lifetime', "$($HardLimitSeconds + 120)")
    $target = Wait-TrackedLine $server 'LISTENING'

    $pwsh = @(Get-PwshCommand)
    $script:ProxyHost = Start-TrackedProcess -Name 'proxyhost' -File $pwsh[0] -Directory $Work -List $Started -Arguments (@($pwsh | Select-Object -Skip 1) + @(
        '-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'soak/ProxyHost.ps1'), '-ModulePath', $ModulePath,
        '-Target', $target, '-WorkDirectory', $Work, '-Engine', $Engine, '-CopyMode', $CopyMode,
        '-HistoryLimit', "$HistoryLimit", '-LifetimeSeconds', "$($HardLimitSeconds + 60)"))
    $listen = Wait-TrackedLine $script:ProxyHost 'LISTENING' 120
    Write-Step "server $target <- proxy $listen ($Engine, $CopyMode; pwsh PID $($script:ProxyHost.Process.Id))"

    # Idle baseline: the module loaded, the proxy listening, no connection yet.
    for ($i = 3; $i -ge 1; $i--) { Start-Sleep -Seconds 1; $null = Add-Sample 'idle-before' (-$i) }

    Write-Step ("{0:0.#} min of mixed traffic, {1} client threads; samples every {2} s, warm-up {3:0} s" -f $Minutes, $Concurrency, $SampleSeconds, $WarmupSeconds)
    $client = Start-TrackedProcess -Name 'client' -File $LoadGen -Directory $Work -List $Started -Arguments @(
        'soak', '--target', $listen, '--seconds', "$LoadSeconds", '--concurrency', "$Concurrency",
        '--max-bytes', "$MaxBytes", '--seed', "$Seed", '--records', (Join-Path $Work 'client.jsonl'))
    $load = [System.Diagnostics.Stopwatch]::StartNew()
    $nextReport = 30
    while (-not $client.Process.WaitForExit([int]($SampleSeconds * 1000))) {
        $sample = Add-Sample 'load' $load.Elapsed.TotalSeconds
        if (-not $sample) { break }
        if ($load.Elapsed.TotalSeconds -ge $nextReport) {
            $nextReport += 30
            Write-Host ('  {0,5:0} s  connections {1,9:N0}  active {2,4}  RSS {3,7:N1} MiB  fds {4,4}  threads {5,3}' -f
                $sample.Seconds, $sample.Total, $sample.Active, ($sample.RssKiB / 1KB), $sample.Fds, $sample.Threads)
        }
        if ($load.Elapsed.TotalSeconds -gt $HardLimitSeconds) { $Failures.Add("the client was still running after $HardLimitSeconds s"); break }
    }
    $loadDuration = $load.Elapsed.TotalSeconds
    Stop-TrackedProcess $client
    $clientResult = Read-TrackedJson $client
    if (-not $clientResult) { $Failures.Add("the client printed no result: $(Get-TrackedError $client)") }
    elseif ($clientResult.unfinishedThreads) { $Failures.Add("$($clientResult.unfinishedThreads) client threads did not finish") }

    # Idle again: every connection closed (the proxy says so), then the same samples as before the load.
    for ($i = 0; $i -lt 60; $i++) { $status = Read-HostStatus; if ($status -and $status.ActiveConnections -eq 0) { break }; Start-Sleep -Milliseconds 500 }
    if (-not $status -or $status.ActiveConnections -ne 0) { $Failures.Add("the proxy still had $($status.ActiveConnections) open connections 30 s after the load") }
    for ($i = 1; $i -le 3; $i++) { Start-Sleep -Seconds 1; $null = Add-Sample 'idle-after' ($load.Elapsed.TotalSeconds) }

    Write-Step 'stopping the proxy (Stop-ZeroCopyProxy, last Receive-Job) and the server'
    $null = New-Item -ItemType File -Path (Join-Path $Work 'stop')
    if (-not $script:ProxyHost.Process.WaitForExit(60000)) { $Failures.Add('the proxy host did not exit within 60 s of the stop request') }
    elseif ($script:ProxyHost.Process.ExitCode -ne 0) { $Failures.Add("the proxy host exited with $($script:ProxyHost.Process.ExitCode): $(Get-TrackedError $script:ProxyHost)") }
    $summaryPath = Join-Path $Work 'summary.json'
    $hostSummary = if (Test-Path -LiteralPath $summaryPath) { Get-Content -Raw -LiteralPath $summaryPath | ConvertFrom-Json } else { $null }
    if (-not $hostSummary) { $Failures.Add("the proxy host wrote no summary: $(Get-TrackedError $script:ProxyHost)") }
    Stop-TrackedProcess $server 30000
    $serverResult = Read-TrackedJson $server

    Write-Step 'checking every connection against its statistics (LoadGen soak-check)'
    $checkOutput = & $LoadGen soak-check --client (Join-Path $Work 'client.jsonl') --server (Join-Path $Work 'server.jsonl') --proxy (Join-Path $Work 'proxy.jsonl') --list 10
    if ($LASTEXITCODE -ne 0) { throw "soak-check failed: $checkOutput" }
    $check = @($checkOutput)[-1] | ConvertFrom-Json
    if ($check.unreadableLines) { $Failures.Add("$($check.unreadableLines) record lines could not be read (a process ended mid-write)") }

    # The proxy's own totals (Get-ZeroCopyProxy after the stop) must equal the sums over its records.
    $aggregate = [System.Collections.Generic.List[string]]::new()
    $notes = [System.Collections.Generic.List[string]]::new()
    if ($hostSummary) {
        foreach ($pair in @(@('BytesClientToTarget', 'sumC2t'), @('BytesTargetToClient', 'sumT2c'), @('BytesSpliced', 'sumSpliced'), @('BytesCopied', 'sumCopied'))) {
            if ($hostSummary.($pair[0]) -ne $check.($pair[1])) {
                $aggregate.Add(('Get-ZeroCopyProxy {0} {1:N0}, sum over the statistics records {2:N0}' -f $pair[0], $hostSummary.($pair[0]), $check.($pair[1])))
            }
        }
        if ($hostSummary.FailedConnections -ne $check.failureReasons) {
            $notes.Add(('Get-ZeroCopyProxy FailedConnections {0:N0}, records closed as ConnectFailed, Reset or Error {1:N0} (its help counts "target unreachable, reset, engine error")' -f $hostSummary.FailedConnections, $check.failureReasons))
        }
    }
    # Records the job itself says it lost, and statistics the engine counted but nobody received.
    $dropped = if ($hostSummary) { $hostSummary.DroppedStatisticsCount } else { 0 }
    $unreported = if ($hostSummary) { $hostSummary.TotalConnections - $hostSummary.RecordsWritten } else { 0 }
    $result = [ordered]@{
        Command = $command; Machine = $machine; LoadAverageBefore = $loadBefore -join ' '
        LoadAverageAfter = ((Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3) -join ' '
        Started = [DateTimeOffset]::Now.AddSeconds(-$clock.Elapsed.TotalSeconds).ToString('u')
        Minutes = $Minutes; Engine = $Engine; CopyMode = $CopyMode; Concurrency = $Concurrency; MaxBytes = $MaxBytes
        Seed = $Seed; WarmupSeconds = $WarmupSeconds; SampleSeconds = $SampleSeconds; HistoryLimit = $HistoryLimit
        LoadSeconds = [math]::Round($loadDuration, 1); TotalSeconds = [math]::Round($clock.Elapsed.TotalSeconds, 1)
        Connections = $check.clientRecords; GB = [math]::Round($check.bytesMoved / 1e9, 2)
        Mismatches = $check.mismatchCount + $aggregate.Count; FirstMismatches = @($aggregate) + @($check.mismatches)
        MissingRecords = $check.missingCount + $dropped + [math]::Max(0, $unreported); DuplicateRecords = $check.duplicateCount
        DroppedByHistoryLimit = $dropped; StatisticsNotReceived = $unreported; FirstMissing = @($check.missing)
        Failures = @($Failures); Notes = @($notes)
        Rss = Measure-Series $Samples 'RssKiB' $WarmupSeconds; Fds = Measure-Series $Samples 'Fds' $WarmupSeconds
        FdsLessIdlePipes = Measure-Series $Samples 'FdsLessIdlePipes' $WarmupSeconds
        Threads = Measure-Series $Samples 'Threads' $WarmupSeconds
        Check = $check; Client = $clientResult; Server = $serverResult; ProxyHost = $hostSummary; Samples = @($Samples)
    }
    $passed = $result.Mismatches -eq 0 -and $result.MissingRecords -eq 0 -and $result.DuplicateRecords -eq 0 -and $Failures.Count -eq 0
    $result.Verdict = if ($passed) { 'PASS' } else { 'FAIL' }
    if (-not $passed) { $keep = $true }

    $null = New-Item -ItemType Directory -Force -Path $OutputPath
    $result | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath (Join-Path $OutputPath 'results.json') -Encoding utf8NoBOM
    Format-SoakMarkdown $result | Set-Content -LiteralPath (Join-Path $OutputPath 'results.md') -Encoding utf8NoBOM
    Write-Host ''
    Write-Host (Format-SoakSummary $result)
    Write-Host "Results: $(Join-Path $OutputPath 'results.md')"
    $exitCode = if ($passed) { 0 } else { 1 }
}
catch {
    $keep = $true   # whatever broke, the records and the processes' logs say more than the message
    throw
}
finally {
    # Everything this script started, by PID: the client, the proxy host, the server.
    foreach ($process in $Started) {
        try { if (-not $process.HasExited) { $process.Kill($true); $null = $process.WaitForExit(5000) } } catch { }
    }
    if ($keep -and (Test-Path -LiteralPath $Work)) {
        $records = Join-Path $OutputPath 'records'
        $null = New-Item -ItemType Directory -Force -Path $records
        Get-ChildItem -LiteralPath $Work -File | Copy-Item -Destination $records
        Write-Host "Records and process logs kept in $records"
    }
    Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue
}
exit $exitCode
