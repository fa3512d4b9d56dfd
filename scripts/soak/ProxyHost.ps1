<#
.SYNOPSIS
The soak's proxy host: imports ZeroCopyPS, starts one proxy as a job and drains its statistics to a file.

.DESCRIPTION
Started by scripts/Invoke-Soak.ps1 in its own pwsh process, so that process's memory and descriptors are
the ones a user's session hosting a proxy would have: the module, the job, Receive-Job. Not meant to be
run by hand.

Every -DrainMilliseconds it calls Receive-Job and writes each ConnectionStatistics object as one JSON line
to <WorkDirectory>/proxy.jsonl, and Get-ZeroCopyProxy's counters to status.json (replaced atomically), which
Invoke-Soak.ps1 reads while it samples this process. Draining that often keeps the job far below its
history limit; the job's DroppedStatisticsCount goes into the summary anyway, so a drop is reported.

Stops when <WorkDirectory>/stop appears or -LifetimeSeconds pass: Stop-ZeroCopyProxy (with its drain),
a last Receive-Job, then summary.json with the final counters.

.EXAMPLE
dotnet pwsh -NoProfile -File scripts/soak/ProxyHost.ps1 -ModulePath out/ZeroCopyPS -Target 127.0.0.1:9000 -WorkDirectory /tmp/soak
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Target,
    [Parameter(Mandatory)] [string] $WorkDirectory,
    [ValidateSet('Auto', 'Epoll', 'Managed')] [string] $Engine = 'Epoll',
    [ValidateSet('Auto', 'Splice', 'Buffered')] [string] $CopyMode = 'Auto',
    [ValidateRange(0, 100000000)] [int] $HistoryLimit = 10000,
    [ValidateRange(10, 10000)] [int] $DrainMilliseconds = 250,
    [ValidateRange(1, 86400)] [double] $LifetimeSeconds = 3600
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

Import-Module $ModulePath
$stopFile = Join-Path $WorkDirectory 'stop'
$statusFile = Join-Path $WorkDirectory 'status.json'
$errorIds = @{}
$counters = @{ Records = 0L; Receives = 0L; LargestBatch = 0 }

# One ConnectionStatistics as a JSON line. Formatted by hand: ConvertTo-Json costs ≈ 100x more, and this
# runs for every connection inside the very process whose CPU and memory the soak watches.
function ConvertTo-StatisticsLine($s) {
    $errorText = if ($null -eq $s.Error) { 'null' } else { '"' + [System.Text.Json.JsonEncodedText]::Encode([string]$s.Error).Value + '"' }
    '{{"id":{0},"client":"{1}","start":{2},"c2t":{3},"t2c":{4},"spliced":{5},"copied":{6},"lost":{7},"reason":"{8}","path":"{9}","fallback":"{10}","error":{11},"lostC2t":{12},"lostT2c":{13}}}' -f `
        $s.ConnectionId, $s.ClientEndPoint, $s.StartTime.ToUnixTimeMilliseconds(), $s.BytesClientToTarget, $s.BytesTargetToClient,
        $s.BytesSpliced, $s.BytesCopied, $s.BytesLost, $s.CloseReason, $s.CopyPathUsed, $s.FallbackReason, $errorText,
        $s.BytesLostClientToTarget, $s.BytesLostTargetToClient
}

# Receive-Job empties the job's Output and Error streams. Error records (one per failed connection:
# resets from the aborting clients, for instance) are counted by id, not shown.
function Receive-Statistics($Proxy, [IO.StreamWriter] $Writer) {
    $received = $null
    $batch = @(Receive-Job -Job $Proxy -ErrorAction SilentlyContinue -ErrorVariable received)
    foreach ($record in $received) {
        $id = if ($record -is [System.Management.Automation.ErrorRecord]) { $record.FullyQualifiedErrorId } else { $record.GetType().Name }
        $errorIds[$id] = 1 + ($errorIds[$id] ?? 0)
    }
    foreach ($s in $batch) { $Writer.WriteLine((ConvertTo-StatisticsLine $s)) }
    $Writer.Flush()
    $counters.Records += $batch.Count
    $counters.Receives++
    if ($batch.Count -gt $counters.LargestBatch) { $counters.LargestBatch = $batch.Count }
}

function Get-StatusObject($Proxy) {
    $status = Get-ZeroCopyProxy -InputObject $Proxy
    [ordered]@{
        Time = [DateTimeOffset]::Now.ToUnixTimeMilliseconds(); State = "$($status.State)"
        ActiveConnections = $status.ActiveConnections; TotalConnections = $status.TotalConnections
        FailedConnections = $status.FailedConnections; BytesClientToTarget = $status.BytesClientToTarget
        BytesTargetToClient = $status.BytesTargetToClient; BytesSpliced = $status.BytesSpliced
        BytesCopied = $status.BytesCopied; SpliceFallbacks = $status.SpliceFallbacks
        PipesInUse = $status.PipesInUse; PipesIdle = $status.PipesIdle; Engine = "$($status.Engine)"
        DroppedStatisticsCount = $status.DroppedStatisticsCount; DroppedErrorCount = $status.DroppedErrorCount
        RecordsWritten = $counters.Records; ReceiveCalls = $counters.Receives; LargestBatch = $counters.LargestBatch
        ErrorRecords = $errorIds
    }
}

# Write to a temporary name, then rename: the reader never sees half a file.
function Save-Json($Object, [string] $Path) {
    $temporary = "$Path.tmp"
    [IO.File]::WriteAllText($temporary, ($Object | ConvertTo-Json -Compress -Depth 4))
    [IO.File]::Move($temporary, $Path, $true)
}

# Load what this script itself uses per record before the idle baseline is sampled: the first error text
# would otherwise load System.Text.Encodings.Web.dll mid-run, two descriptors that are not the proxy's.
$null = ConvertTo-StatisticsLine ([pscustomobject]@{ ConnectionId = 0; ClientEndPoint = ''; StartTime = [DateTimeOffset]::Now
    BytesClientToTarget = 0; BytesTargetToClient = 0; BytesSpliced = 0; BytesCopied = 0; BytesLost = 0; BytesLostClientToTarget = 0; BytesLostTargetToClient = 0
    CloseReason = ''; CopyPathUsed = ''; FallbackReason = ''; Error = 'warm-up' })

$writer = [IO.StreamWriter]::new((Join-Path $WorkDirectory 'proxy.jsonl'), $false, [Text.UTF8Encoding]::new($false), 65536)
$proxy = $null
try {
    $proxy = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $Target -Name soak -Engine $Engine -CopyMode $CopyMode -HistoryLimit $HistoryLimit
    Save-Json (Get-StatusObject $proxy) $statusFile
    [Console]::Out.WriteLine("LISTENING $($proxy.ListenEndPoints[0]) PID $PID")
    [Console]::Out.Flush()

    $deadline = [DateTime]::UtcNow.AddSeconds($LifetimeSeconds)
    while (-not (Test-Path -LiteralPath $stopFile) -and [DateTime]::UtcNow -lt $deadline) {
        Start-Sleep -Milliseconds $DrainMilliseconds
        Receive-Statistics $proxy $writer
        Save-Json (Get-StatusObject $proxy) $statusFile
    }

    $proxy | Stop-ZeroCopyProxy
    Receive-Statistics $proxy $writer
    $summary = Get-StatusObject $proxy
    $summary.StoppedBy = if (Test-Path -LiteralPath $stopFile) { 'StopFile' } else { 'Lifetime' }
    Save-Json $summary (Join-Path $WorkDirectory 'summary.json')
}
finally {
    if ($proxy) { $proxy | Remove-Job -Force }
    $writer.Dispose()
}
