#!/usr/bin/env pwsh
<#
.SYNOPSIS
End-to-end demo of ZeroCopyPS on loopback: echo server <- proxy <- clients, every byte checked.

.DESCRIPTION
1. Starts an echo service on 127.0.0.1:<free port> inside this process (scripts/EchoService.psm1, the
   same one the README's Pester example uses: a TcpListener served by a thread job, with a deadline).
2. Starts `Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target 127.0.0.1:<echo port> -Name demo`.
3. Pushes traffic through the proxy: -Connections parallel connections each send
   -BytesPerConnection random bytes and read them back (SHA-256 compared), plus
   -PingPongConnections connections doing -PingPongRounds 64-byte round trips.
4. Shows `Get-ZeroCopyProxy -Name demo | Format-List` and the per-connection statistics from
   Receive-Job, then stops the proxy, removes its job and stops the echo service.

Exits 0 only if every byte came back intact; 1 otherwise. Only loopback addresses are used.

The module is imported from $env:ZEROCOPYPS_MODULE_PATH (build.ps1 sets it to the staged
out/ZeroCopyPS), else from ../out/ZeroCopyPS beside this script. Run it through
`./build.ps1 -Task Demo`, which builds and stages first.
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 64)] [int] $Connections = 8,
    [ValidateRange(1, 256MB)] [int] $BytesPerConnection = 4MB,
    [ValidateRange(0, 16)] [int] $PingPongConnections = 2,
    [ValidateRange(1, 10000)] [int] $PingPongRounds = 100,
    # Upper bound for each phase, so a broken proxy makes the demo fail instead of hang.
    [ValidateRange(5, 600)] [int] $TimeoutSeconds = 60
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$modulePath = if ($env:ZEROCOPYPS_MODULE_PATH) { $env:ZEROCOPYPS_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/ZeroCopyPS' }
if (-not (Test-Path -LiteralPath (Join-Path $modulePath 'ZeroCopyPS.psd1'))) {
    Write-Host "Demo: no staged module at $modulePath; run ./build.ps1 -Task Build first."
    exit 1
}
Import-Module $modulePath -ErrorAction Stop
Import-Module (Join-Path $PSScriptRoot 'EchoService.psm1')

function Write-Section([string] $Title) {
    Write-Host ''
    Write-Host "--- $Title"
}

function Get-Sha256Hex([byte[]] $Bytes) {
    [Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($Bytes))
}

function Format-Bytes([double] $Bytes) {
    if ($Bytes -ge 1GB) { return '{0:N2} GiB' -f ($Bytes / 1GB) }
    if ($Bytes -ge 1MB) { return '{0:N2} MiB' -f ($Bytes / 1MB) }
    if ($Bytes -ge 1KB) { return '{0:N2} KiB' -f ($Bytes / 1KB) }
    return "$Bytes B"
}

function New-LoopbackClient([int] $Port) {
    $client = [System.Net.Sockets.TcpClient]::new([System.Net.Sockets.AddressFamily]::InterNetwork)
    $client.NoDelay = $true
    # Bounds the synchronous reads of the ping-pong phase.
    $client.ReceiveTimeout = $TimeoutSeconds * 1000
    $client.SendTimeout = $TimeoutSeconds * 1000
    $client.Connect([System.Net.IPAddress]::Loopback, $Port)
    $client
}

$echo = $null
$proxyJob = $null
$allMatched = $false
$exitCode = 1
$cleanupFailed = $false
$cts = [System.Threading.CancellationTokenSource]::new([TimeSpan]::FromSeconds($TimeoutSeconds))
try {
    Write-Section 'Echo service'
    $echo = Start-EchoService -TimeoutSeconds ($TimeoutSeconds * 3)
    $echoPort = $echo.Port
    $totalConnections = $Connections + $PingPongConnections
    Write-Host "echo service on $($echo.Endpoint)"

    Write-Section 'Proxy'
    $proxyJob = Start-ZeroCopyProxy -Listen '127.0.0.1:0' -Target "127.0.0.1:$echoPort" -Name demo
    $listenEndPoint = @($proxyJob.ListenEndPoints)[0]
    if (-not $listenEndPoint) { throw 'Start-ZeroCopyProxy returned a job without ListenEndPoints.' }
    $proxyPort = [int]$listenEndPoint.Substring($listenEndPoint.LastIndexOf(':') + 1)
    Write-Host "proxy 'demo' ($($proxyJob.GetType().FullName), engine $($proxyJob.Engine), copy mode $($proxyJob.CopyMode)) listening on $listenEndPoint -> 127.0.0.1:$echoPort"

    # ---- bulk: all connections in flight at once. Each connection's write and read run as
    # concurrent .NET tasks; writing everything before reading would deadlock once the socket
    # buffers along the way are full.
    Write-Section "Bulk: $Connections connections x $(Format-Bytes $BytesPerConnection), echoed back"
    $transfers = foreach ($i in 1..$Connections) {
        $client = New-LoopbackClient $proxyPort
        $stream = $client.GetStream()
        $sent = [System.Security.Cryptography.RandomNumberGenerator]::GetBytes($BytesPerConnection)
        $received = [byte[]]::new($BytesPerConnection)
        [pscustomobject]@{
            Number   = $i
            Client   = $client
            Sent     = $sent
            Received = $received
            Write    = $null
            Read     = $null
        }
    }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    foreach ($t in $transfers) {
        $stream = $t.Client.GetStream()
        $t.Read = $stream.ReadExactlyAsync($t.Received, 0, $t.Received.Length, $cts.Token).AsTask()
        $t.Write = $stream.WriteAsync($t.Sent, 0, $t.Sent.Length, $cts.Token)
    }
    $tasks = [System.Threading.Tasks.Task[]]@($transfers | ForEach-Object { $_.Write; $_.Read })
    if (-not [System.Threading.Tasks.Task]::WaitAll($tasks, [TimeSpan]::FromSeconds($TimeoutSeconds))) {
        throw "Bulk transfer did not finish within $TimeoutSeconds s."
    }
    $clock.Stop()

    $bulkMatched = $true
    foreach ($t in $transfers) {
        $t.Client.Dispose()
        $sentHash = Get-Sha256Hex $t.Sent
        $receivedHash = Get-Sha256Hex $t.Received
        $ok = $sentHash -eq $receivedHash
        if (-not $ok) { $bulkMatched = $false }
        Write-Host ('  #{0}: sent {1}, received {2}, sha256 {3}... {4}' -f $t.Number, (Format-Bytes $t.Sent.Length),
            (Format-Bytes $t.Received.Length), $receivedHash.Substring(0, 16).ToLowerInvariant(), ($ok ? 'match' : "MISMATCH (sent $($sentHash.Substring(0, 16).ToLowerInvariant())...)"))
    }
    $bulkBytes = 2.0 * $Connections * $BytesPerConnection   # both directions through the proxy
    Write-Host ('  {0} through the proxy in {1:N0} ms ({2}/s)' -f (Format-Bytes $bulkBytes), $clock.Elapsed.TotalMilliseconds,
        (Format-Bytes ($bulkBytes / [Math]::Max($clock.Elapsed.TotalSeconds, 0.001))))
    $transfers = $null   # let the buffers go

    # ---- ping-pong: latency-sized messages, one in flight at a time.
    $pingMatched = $true
    if ($PingPongConnections -gt 0) {
        Write-Section "Ping-pong: $PingPongConnections connections x $PingPongRounds round trips of 64 bytes"
        foreach ($c in 1..$PingPongConnections) {
            $client = New-LoopbackClient $proxyPort
            try {
                $stream = $client.GetStream()
                $reply = [byte[]]::new(64)
                $bad = 0
                $clock = [System.Diagnostics.Stopwatch]::StartNew()
                foreach ($round in 1..$PingPongRounds) {
                    $ping = [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(64)
                    $stream.Write($ping, 0, $ping.Length)
                    $stream.ReadExactly($reply, 0, $reply.Length)
                    if ([Convert]::ToHexString($ping) -ne [Convert]::ToHexString($reply)) { $bad++ }
                }
                $clock.Stop()
                if ($bad) { $pingMatched = $false }
                Write-Host ('  #{0}: {1} round trips, {2} mismatched, {3:N0} us average (PowerShell loop included)' -f $c,
                    $PingPongRounds, $bad, ($clock.Elapsed.TotalMilliseconds * 1000 / $PingPongRounds))
            }
            finally {
                $client.Dispose()
            }
        }
    }

    $allMatched = $bulkMatched -and $pingMatched

    # The proxy adds one statistics record per connection when it sees the close; give it a
    # moment to see all of them before showing the numbers.
    $waitUntil = [DateTime]::UtcNow.AddSeconds(10)
    while ($proxyJob.Output.Count -lt $totalConnections -and [DateTime]::UtcNow -lt $waitUntil) {
        Start-Sleep -Milliseconds 50
    }

    Write-Section 'Get-ZeroCopyProxy -Name demo | Format-List'
    Get-ZeroCopyProxy -Name demo | Format-List | Out-Host

    Write-Section 'Receive-Job: one record per connection'
    $connectionErrors = @()
    $stats = @(Receive-Job -Job $proxyJob -ErrorAction SilentlyContinue -ErrorVariable +connectionErrors)
    $table = $stats | Sort-Object ConnectionId | Format-Table -AutoSize -Property ConnectionId, ClientEndPoint,
        @{ Name = 'ToTarget'; Expression = { $_.BytesClientToTarget } },
        @{ Name = 'ToClient'; Expression = { $_.BytesTargetToClient } },
        BytesSpliced, BytesCopied, CopyPathUsed, CloseReason,
        @{ Name = 'ms'; Expression = { [int]$_.Duration.TotalMilliseconds } } |
        Out-String -Width 240   # a redirected console is 80 columns wide: don't wrap
    Write-Host $table.TrimEnd()
    if ($stats.Count -ne $totalConnections) {
        Write-Warning "expected $totalConnections connection records, got $($stats.Count)"
    }
    foreach ($e in $connectionErrors) { Write-Host "  connection error: $e" }
}
catch {
    Write-Host "Demo failed: $($_.Exception.Message)"
    if ($_.ScriptStackTrace) { Write-Host $_.ScriptStackTrace }
    $allMatched = $false
}
finally {
    Write-Section 'Cleanup'
    if ($proxyJob) {
        try {
            Stop-ZeroCopyProxy -Name demo
            Write-Host "proxy stopped: job state $($proxyJob.JobStateInfo.State)"
            Remove-Job -Job $proxyJob -Force
        }
        catch {
            Write-Host "could not stop the proxy: $($_.Exception.Message)"
            $cleanupFailed = $true
        }
    }
    if ($echo) {
        $served = $echo | Stop-EchoService
        if ($served) { Write-Host "echo service: accepted $($served.Accepted) connections, stopped" }
    }
    $cts.Dispose()
}

Write-Host ''
if ($allMatched -and -not $cleanupFailed) {
    Write-Host 'Demo passed: every byte came back intact.'
    $exitCode = 0
}
elseif ($allMatched) {
    Write-Host 'Demo FAILED: the data matched, but cleanup did not succeed.'
}
else {
    Write-Host 'Demo FAILED: data did not come back intact (see above).'
}
exit $exitCode
