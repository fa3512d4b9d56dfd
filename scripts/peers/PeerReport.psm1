<#
The report of scripts/Compare-Peers.ps1: one row per peer holding, per figure, the median over the rounds,
the min–max and the ratio to the best external peer (HAProxy in its three forms, socat, the Go proxy); the
Markdown tables; and issue 11's targets checked for each ZeroCopyPS row.
#>

Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot 'Peers.psm1')   # Get-ExternalPeer

# Every figure: its row property, table header, chart title, number format, and which way is better.
# Idle memory is measured once per peer (not in rounds): it has no min–max.
$script:Metrics = @(
    @{ Name = 'Bulk1MBps'; Header = 'Bulk 1 stream MB/s'; Title = 'Bulk, 1 stream (MB/s)'; Format = 'N0'; Higher = $true }
    @{ Name = 'Bulk8MBps'; Header = 'Bulk 8 streams MB/s'; Title = 'Bulk, 8 streams (MB/s)'; Format = 'N0'; Higher = $true }
    @{ Name = 'CpuSecondsPerGiB'; Header = 'CPU s/GiB'; Title = 'Proxy CPU per GiB, 1 stream (s)'; Format = 'N3'; Higher = $false }
    @{ Name = 'P50Microseconds'; Header = '64 B p50 µs'; Title = '64-byte round trip p50 (µs)'; Format = 'N1'; Higher = $false }
    @{ Name = 'P99Microseconds'; Header = '64 B p99 µs'; Title = '64-byte round trip p99 (µs)'; Format = 'N1'; Higher = $false }
    @{ Name = 'ConnectionsPerSecond'; Header = 'conn/s'; Title = 'Short connections per second'; Format = 'N0'; Higher = $true }
    @{ Name = 'PipelineRequestsPerSecond'; Header = 'pipelined req/s'; Title = 'Pipelined requests/s (50 conns × 16 × 30 B)'; Format = 'N0'; Higher = $true }
    @{ Name = 'PipelineBatchP50Microseconds'; Header = 'batch p50 µs'; Title = 'Pipelined batch p50 (µs)'; Format = 'N0'; Higher = $false }
    @{ Name = 'IdleKiBPerConnection'; Header = 'KiB/idle conn'; Title = 'Memory per idle connection (KiB)'; Format = 'N2'; Higher = $false }
)

function Get-PeerMetric { $script:Metrics }

function New-PeerRow([string] $Kind) {
    $row = [ordered]@{ Peer = $Kind }
    foreach ($m in $script:Metrics) { $row[$m.Name] = $null }
    $row.Rounds = [ordered]@{}       # figure → the value of every round
    $row.Range = [ordered]@{}        # figure → @(min, max) over the rounds
    $row.RatioToBest = [ordered]@{}  # figure → median ÷ the best external peer's median
    $row.Note = ''
    [pscustomobject]$row
}

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    if (-not $sorted) { return $null }
    $middle = [int][math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$middle] } else { ($sorted[$middle - 1] + $sorted[$middle]) / 2 }
}

function Set-PeerFigure {
    <# Puts one figure's per-round values into a row: the rounds, their median and their min–max. #>
    param([Parameter(Mandatory)] $Row, [Parameter(Mandatory)] [string] $Name, [AllowEmptyCollection()] [double[]] $Values)
    if (-not $Values) { return }
    $Values = @($Values | ForEach-Object { [math]::Round($_, 3) })   # µs, MB/s, s/GiB: three decimals are more than the noise
    $Row.Rounds[$Name] = $Values
    $Row.$Name = Get-Median $Values
    $Row.Range[$Name] = @(($Values | Measure-Object -Minimum).Minimum, ($Values | Measure-Object -Maximum).Maximum)
}

function Get-BestPeer($Rows, $Metric) {
    <# The external peer with the best median for -Metric ($null when none has a value). #>
    $candidates = @($Rows | Where-Object { $_.Peer -in (Get-ExternalPeer) -and $null -ne $_.($Metric.Name) -and $_.($Metric.Name) -gt 0 })
    if (-not $candidates) { return $null }
    $candidates | Sort-Object { $_.($Metric.Name) } -Descending:$Metric.Higher | Select-Object -First 1
}

function Set-PeerRatio($Rows) {
    <# Every row's ratio to the best external peer, per figure (value ÷ best: above 1 is better where higher is better, below 1 where lower is). #>
    foreach ($m in $script:Metrics) {
        $best = Get-BestPeer $Rows $m
        if (-not $best) { continue }
        foreach ($row in $Rows) {
            if ($null -ne $row.($m.Name)) { $row.RatioToBest[$m.Name] = [math]::Round($row.($m.Name) / $best.($m.Name), 3) }
        }
    }
}

function Get-BestPeerSummary($Rows) {
    <# figure → the best external peer's name, for the JSON. #>
    $best = [ordered]@{}
    foreach ($m in $script:Metrics) { $b = Get-BestPeer $Rows $m; if ($b) { $best[$m.Name] = $b.Peer } }
    $best
}

function Format-Figure($Metric, $Value) { if ($null -eq $Value) { '–' } else { "{0:$($Metric.Format)}" -f $Value } }

function Format-PeerTable($Rows, [int] $Rounds) {
    <# Two Markdown tables: medians with their ratio to the best external peer, then min–max over the rounds. #>
    $direct = $Rows | Where-Object Peer -eq 'direct' | Select-Object -First 1
    $header = '| Peer | ' + (($script:Metrics | ForEach-Object { $_.Header }) -join ' | ') + ' |'
    $rule = '|---|' + (($script:Metrics | ForEach-Object { '---:' }) -join '|') + '|'
    $lines = [System.Collections.Generic.List[string]]::new()
    $lines.Add("Medians over $Rounds rounds; (×N) = median ÷ the best external peer's median for that figure:")
    $lines.Add('')
    $lines.Add($header); $lines.Add($rule)
    foreach ($row in $Rows) {
        $cells = foreach ($m in $script:Metrics) {
            $text = Format-Figure $m $row.($m.Name)
            if ($row.RatioToBest.Contains($m.Name) -and $row.Peer -ne 'direct') { $text += ' (×{0:N2})' -f $row.RatioToBest[$m.Name] }
            if ($m.Name -eq 'Bulk1MBps' -and $direct -and $direct.Bulk1MBps -and $row.Peer -ne 'direct' -and $null -ne $row.Bulk1MBps) { $text += ' {0:P0} of direct' -f ($row.Bulk1MBps / $direct.Bulk1MBps) }
            $text
        }
        $lines.Add("| $($row.Peer) | " + ($cells -join ' | ') + ' |')
    }
    $lines.Add('')
    $lines.Add('Higher is better for MB/s, conn/s and req/s; lower for CPU, latency and memory. Best external peer per figure: ' +
        (($script:Metrics | ForEach-Object { $b = Get-BestPeer $Rows $_; if ($b) { "$($_.Header): $($b.Peer)" } }) -join '; ') + '.')
    $lines.Add('')
    $lines.Add("Spread: min–max over the $Rounds rounds (idle memory is measured once):")
    $lines.Add('')
    $ranged = @($script:Metrics | Where-Object Name -ne 'IdleKiBPerConnection')
    $lines.Add('| Peer | ' + (($ranged | ForEach-Object { $_.Header }) -join ' | ') + ' |')
    $lines.Add('|---|' + (($ranged | ForEach-Object { '---:' }) -join '|') + '|')
    foreach ($row in $Rows) {
        $cells = foreach ($m in $ranged) {
            if ($row.Range.Contains($m.Name)) { '{0}–{1}' -f (Format-Figure $m $row.Range[$m.Name][0]), (Format-Figure $m $row.Range[$m.Name][1]) } else { '–' }
        }
        $lines.Add("| $($row.Peer) | " + ($cells -join ' | ') + ' |')
    }
    $lines -join "`n"
}

function Get-TargetCheck([string] $What, $Ratio, [double] $Limit, [switch] $AtMost) {
    <# One target: "what: 1.23× (≥ 1.25) MISSED"; $null when a figure is missing (a peer not run). #>
    if ($null -eq $Ratio) { return $null }
    $met = if ($AtMost) { $Ratio -le $Limit } else { $Ratio -ge $Limit }
    '{0}: {1:N2}× ({2} {3:N2}) {4}' -f $What, $Ratio, $(if ($AtMost) { '≤' } else { '≥' }), $Limit, $(if ($met) { 'MET' } else { 'MISSED' })
}

function Get-Ratio($Row, [string] $Name, $Other) {
    if (-not $Other -or $null -eq $Row.$Name -or -not $Other.$Name) { return $null }
    $Row.$Name / $Other.$Name
}

# Issue 11's targets (medians), checked for each ZeroCopyPS row; the default (zerocopyps-auto) is the one they are about.
function Get-TargetReport($Rows) {
    $byName = @{}; foreach ($row in $Rows) { $byName[$row.Peer] = $row }
    $external = @($Rows | Where-Object Peer -in (Get-ExternalPeer))
    $metric = @{}; foreach ($m in $script:Metrics) { $metric[$m.Name] = $m }
    $bestBulkSpliceOrGo = $Rows | Where-Object { $_.Peer -in 'haproxy-splice', 'go' -and $_.Bulk1MBps } | Sort-Object Bulk1MBps -Descending | Select-Object -First 1
    $bestHaproxyConn = $Rows | Where-Object { $_.Peer -like 'haproxy*' -and $_.ConnectionsPerSecond } | Sort-Object ConnectionsPerSecond -Descending | Select-Object -First 1
    $lines = foreach ($z in $Rows | Where-Object Peer -like 'zerocopyps-*') {
        $checks = @(
            if ($bestBulkSpliceOrGo) { Get-TargetCheck "bulk vs best of haproxy-splice/go ($($bestBulkSpliceOrGo.Peer))" (Get-Ratio $z Bulk1MBps $bestBulkSpliceOrGo) 1.25 }
            Get-TargetCheck 'bulk vs haproxy-splice-pipe1m' (Get-Ratio $z Bulk1MBps $byName['haproxy-splice-pipe1m']) 1.1
            Get-TargetCheck 'bulk vs direct' (Get-Ratio $z Bulk1MBps $byName['direct']) 0.6
            Get-TargetCheck 'CPU/GiB vs haproxy-splice' (Get-Ratio $z CpuSecondsPerGiB $byName['haproxy-splice']) 0.7 -AtMost
            Get-TargetCheck 'CPU/GiB vs haproxy-splice-pipe1m' (Get-Ratio $z CpuSecondsPerGiB $byName['haproxy-splice-pipe1m']) 1 -AtMost
            $b = Get-BestPeer $external $metric.Bulk8MBps; if ($b) { Get-TargetCheck "8 streams vs best peer ($($b.Peer))" (Get-Ratio $z Bulk8MBps $b) 1.2 }
            $b = Get-BestPeer $external $metric.P50Microseconds; if ($b) { Get-TargetCheck "p50 vs best peer ($($b.Peer))" (Get-Ratio $z P50Microseconds $b) 1 -AtMost }
            if ($bestHaproxyConn) { Get-TargetCheck "conn/s vs HAProxy ($($bestHaproxyConn.Peer))" (Get-Ratio $z ConnectionsPerSecond $bestHaproxyConn) 1 }
            $b = Get-BestPeer $external $metric.PipelineRequestsPerSecond; if ($b) { Get-TargetCheck "pipelined req/s vs best peer ($($b.Peer))" (Get-Ratio $z PipelineRequestsPerSecond $b) 1 }
            if ($null -ne $z.IdleKiBPerConnection) { '≤ 3 KiB per idle connection: {0:N2} KiB {1}' -f $z.IdleKiBPerConnection, $(if ($z.IdleKiBPerConnection -le 3) { 'MET' } else { 'MISSED' }) }
        ) | Where-Object { $_ }
        "- $($z.Peer): " + ($checks -join '; ')
    }
    $lines -join "`n"
}

Export-ModuleMember -Function Get-PeerMetric, New-PeerRow, Get-Median, Set-PeerFigure, Set-PeerRatio, Get-BestPeerSummary, Format-PeerTable, Get-TargetReport
