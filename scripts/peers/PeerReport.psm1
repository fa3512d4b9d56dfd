<#
The report of scripts/Compare-Peers.ps1: one row per peer, the markdown table with each value set against
the best external peer (HAProxy with and without splice, socat, the Go proxy), and the performance targets
checked for each ZeroCopyPS mode.
#>

Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot 'Peers.psm1')   # Get-ExternalPeer

# The largest (or smallest) value of a column over rows that have one; $null when none has (peers not run).
function Get-Extreme($Rows, [string] $Property, [switch] $Maximum) {
    $values = @($Rows | ForEach-Object { $_.$Property } | Where-Object { $null -ne $_ })
    if (-not $values) { return $null }
    if ($Maximum) { ($values | Measure-Object -Maximum).Maximum } else { ($values | Measure-Object -Minimum).Minimum }
}

function New-PeerRow([string] $Kind) {
    [pscustomobject][ordered]@{
        Peer = $Kind; Bulk1MBps = $null; Bulk8MBps = $null; CpuSecondsPerGiB = $null
        P50Microseconds = $null; P99Microseconds = $null; ConnectionsPerSecond = $null; IdleKiBPerConnection = $null; Note = ''
    }
}

$script:Metrics = @(
    @{ Name = 'Bulk1MBps'; Header = 'Bulk 1 stream MB/s'; Higher = $true }
    @{ Name = 'Bulk8MBps'; Header = 'Bulk 8 streams MB/s'; Higher = $true }
    @{ Name = 'CpuSecondsPerGiB'; Header = 'CPU s/GiB'; Higher = $false }
    @{ Name = 'P50Microseconds'; Header = '64 B p50 µs'; Higher = $false }
    @{ Name = 'P99Microseconds'; Header = '64 B p99 µs'; Higher = $false }
    @{ Name = 'ConnectionsPerSecond'; Header = 'conn/s'; Higher = $true }
    @{ Name = 'IdleKiBPerConnection'; Header = 'KiB/idle conn'; Higher = $false }
)

function Get-BestPeer($Rows, $Metric) {
    $candidates = @($Rows | Where-Object { $_.Peer -in (Get-ExternalPeer) -and $null -ne $_.($Metric.Name) })
    if (-not $candidates) { return $null }
    $sorted = $candidates | Sort-Object { $_.($Metric.Name) } -Descending:$Metric.Higher
    @($sorted)[0]
}

function Format-PeerTable($Rows) {
    $direct = $Rows | Where-Object Peer -eq 'direct' | Select-Object -First 1
    $lines = [System.Collections.Generic.List[string]]::new()
    $lines.Add('| Peer | ' + (($script:Metrics | ForEach-Object { $_.Header }) -join ' | ') + ' |')
    $lines.Add('|---|' + (($script:Metrics | ForEach-Object { '---:' }) -join '|') + '|')
    foreach ($row in $Rows) {
        $cells = foreach ($m in $script:Metrics) {
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
    $bestLine = foreach ($m in $script:Metrics) { $b = Get-BestPeer $Rows $m; if ($b) { "$($m.Header): $($b.Peer)" } }
    $lines.Add('Best external peer per column: ' + ($bestLine -join '; ') + '.')
    $lines -join "`n"
}

# Issue 2's performance targets, checked for each ZeroCopyPS mode.
function Get-TargetReport($Rows) {
    $direct = $Rows | Where-Object Peer -eq 'direct' | Select-Object -First 1
    $haproxySplice = $Rows | Where-Object Peer -eq 'haproxy-splice' | Select-Object -First 1
    $haproxyRows = @($Rows | Where-Object Peer -in 'haproxy-splice', 'haproxy')
    $peers = @($Rows | Where-Object Peer -in (Get-ExternalPeer))
    $lines = foreach ($z in $Rows | Where-Object Peer -like 'zerocopyps-*') {
        $checks = [System.Collections.Generic.List[string]]::new()
        $bestBulk = Get-Extreme $peers Bulk1MBps -Maximum
        if ($bestBulk) { $checks.Add(('bulk ≥ 1.2× best peer: {0:N2}× {1}' -f ($z.Bulk1MBps / $bestBulk), $(if ($z.Bulk1MBps -ge 1.2 * $bestBulk) { 'MET' } else { 'MISSED' }))) }
        if ($direct) { $checks.Add(('bulk ≥ 75% of direct: {0:P0} {1}' -f ($z.Bulk1MBps / $direct.Bulk1MBps), $(if ($z.Bulk1MBps -ge 0.75 * $direct.Bulk1MBps) { 'MET' } else { 'MISSED' }))) }
        if ($haproxySplice -and $null -ne $haproxySplice.CpuSecondsPerGiB) { $checks.Add(('CPU s/GiB < HAProxy-splice ({0:N3}): {1:N3} {2}' -f $haproxySplice.CpuSecondsPerGiB, $z.CpuSecondsPerGiB, $(if ($z.CpuSecondsPerGiB -lt $haproxySplice.CpuSecondsPerGiB) { 'MET' } else { 'MISSED' }))) }
        $minP50 = Get-Extreme $peers P50Microseconds
        if ($minP50) { $checks.Add(('p50 < every peer ({0:N1} µs): {1:N1} µs {2}' -f $minP50, $z.P50Microseconds, $(if ($z.P50Microseconds -lt $minP50) { 'MET' } else { 'MISSED' }))) }
        $haproxyRate = Get-Extreme $haproxyRows ConnectionsPerSecond -Maximum
        if ($haproxyRate) { $checks.Add(('conn/s ≥ HAProxy ({0:N0}): {1:N0} {2}' -f $haproxyRate, $z.ConnectionsPerSecond, $(if ($z.ConnectionsPerSecond -ge $haproxyRate) { 'MET' } else { 'MISSED' }))) }
        if ($null -ne $z.IdleKiBPerConnection) { $checks.Add(('≤ 3 KiB per idle connection: {0:N2} KiB {1}' -f $z.IdleKiBPerConnection, $(if ($z.IdleKiBPerConnection -le 3) { 'MET' } else { 'MISSED' }))) }
        "- $($z.Peer): " + ($checks -join '; ')
    }
    $lines -join "`n"
}

Export-ModuleMember -Function New-PeerRow, Format-PeerTable, Get-TargetReport
