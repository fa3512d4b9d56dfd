# Text forms of a soak result (the ordered dictionary Invoke-Soak.ps1 builds): results.md and the console summary.

Set-StrictMode -Version 3.0

function Format-MiB($KiB) { if ($null -eq $KiB) { '–' } else { '{0:N1}' -f ($KiB / 1KB) } }

# KiB to MiB, keeping "no value" as $null (so it prints as a dash, not as 0).
function ConvertTo-MiB($KiB) { if ($null -ne $KiB) { $KiB / 1KB } }

function Format-Signed($Value, [string] $Format = 'N0') {
    if ($null -eq $Value) { return '–' }
    $text = "{0:$Format}" -f $Value
    if ($Value -gt 0) { "+$text" } else { $text }
}

function Format-Counts($Dictionary) {
    if (-not $Dictionary) { return '–' }
    (@($Dictionary.PSObject.Properties | ForEach-Object { '{0} {1:N0}' -f $_.Name, $_.Value }) -join ', ')
}

# One row per series: start (idle), after warm-up, max, end of load, idle after; drift and slope.
function Format-SeriesRows($Result) {
    $rss = $Result.Rss; $fds = $Result.Fds; $threads = $Result.Threads
    '| Proxy host (pwsh) | start (idle) | after warm-up | max | end of load | idle after | drift (end − after warm-up) | idle drift | slope after warm-up |'
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|'
    '| RSS MiB | {0} | {1} | {2} | {3} | {4} | {5} | {6} | {7} MiB/min |' -f (Format-MiB $rss.Start), (Format-MiB $rss.AfterWarmup), (Format-MiB $rss.Max),
        (Format-MiB $rss.End), (Format-MiB $rss.IdleAfter), (Format-Signed (ConvertTo-MiB $rss.Drift) 'N1'), (Format-Signed (ConvertTo-MiB $rss.IdleDrift) 'N1'),
        (Format-Signed (ConvertTo-MiB $rss.SlopePerMinute) 'N2')
    foreach ($row in @(@('Descriptors', $fds), @('Descriptors less pooled pipes', $Result.FdsLessIdlePipes), @('Threads', $threads))) {
        $s = $row[1]
        '| {0} | {1} | {2} | {3} | {4} | {5} | {6} | {7} | {8} /min |' -f $row[0], $s.Start, $s.AfterWarmup, $s.Max, $s.End, $s.IdleAfter,
            (Format-Signed $s.Drift), (Format-Signed $s.IdleDrift), (Format-Signed $s.SlopePerMinute 'N2')
    }
}

function Format-SoakMarkdown($Result) {
    $c = $Result.Check
    $lines = [System.Collections.Generic.List[string]]::new()
    $lines.Add("# Soak: $($Result.Verdict)")
    $lines.Add('')
    $lines.Add("``$($Result.Command)``")
    $lines.Add('')
    $lines.Add("Started $($Result.Started); $($Result.Machine); load average $($Result.LoadAverageBefore) before, $($Result.LoadAverageAfter) after.")
    $lines.Add("Engine $($Result.Engine), copy mode $($Result.CopyMode), $($Result.Concurrency) client threads, sizes up to $($Result.MaxBytes / 1MB) MiB, seed $($Result.Seed).")
    $lines.Add('')
    $lines.Add('| Figure | Value |')
    $lines.Add('|---|---|')
    $lines.Add(('| Load duration | {0:N0} s (whole run {1:N0} s) |' -f $Result.LoadSeconds, $Result.TotalSeconds))
    $lines.Add(('| Connections | {0:N0} ({1:N0} ended normally, {2:N0} aborted by the client with RST, {3:N0} failed to connect) |' -f $Result.Connections, $c.normal, $c.aborted, $c.connectFailed))
    $lines.Add(('| Bytes through the proxy | {0:N2} GB ({1:N0} B, both directions, as the statistics count them) |' -f $Result.GB, $c.bytesMoved))
    $lines.Add(('| **Mismatches** | **{0:N0}** |' -f $Result.Mismatches))
    $lines.Add(('| **Records missing / duplicated** | **{0:N0} / {1:N0}** (dropped by the job''s history limit: {2:N0}; counted by the engine but never received: {3:N0}) |' -f $Result.MissingRecords, $Result.DuplicateRecords, $Result.DroppedByHistoryLimit, $Result.StatisticsNotReceived))
    $lines.Add(('| Aborted connections | close reasons: {0}; BytesLost {1:N0}; delivered but not read by the peer (RST) {2:N0} B |' -f (Format-Counts $c.abortedReasons), $c.lostInPipe, $c.unreadAfterAbort))
    $lines.Add("| Kinds | $(Format-Counts $c.perKind) |")
    $lines.Add("| Close reasons | $(Format-Counts $c.closeReasons) |")
    $lines.Add("| Copy paths | $(Format-Counts $c.copyPaths); fallbacks: $(Format-Counts $c.fallbacks) |")
    $lines.Add("| Error texts (close reason: error) | $((Format-Counts $c.errors) -replace '\|', '/') |")
    if ($Result.ProxyHost) {
        $lines.Add(('| Receive-Job | {0:N0} calls, largest batch {1:N0}; error records: {2} |' -f $Result.ProxyHost.ReceiveCalls, $Result.ProxyHost.LargestBatch, (Format-Counts $Result.ProxyHost.ErrorRecords)))
    }
    $lines.Add('')
    foreach ($row in Format-SeriesRows $Result) { $lines.Add($row) }
    $lines.Add('')
    $lines.Add("Warm-up $($Result.WarmupSeconds) s; a sample every $($Result.SampleSeconds) s ($(@($Result.Samples).Count) samples in results.json).")
    foreach ($list in @(@('Failures', $Result.Failures), @('Notes', $Result.Notes), @('First mismatches', $Result.FirstMismatches), @('First missing or duplicated records', $Result.FirstMissing))) {
        if (@($list[1]).Count -eq 0) { continue }
        $lines.Add('')
        $lines.Add("$($list[0]):")
        foreach ($item in $list[1]) { $lines.Add("- $item") }
    }
    $lines -join "`n"
}

function Format-SoakSummary($Result) {
    $c = $Result.Check; $rss = $Result.Rss; $fds = $Result.Fds
    $out = [System.Collections.Generic.List[string]]::new()
    $out.Add(('Soak {0}: {1:0.#} min, {2} engine, {3}, {4} client threads (load {5:N0} s, whole run {6:N0} s)' -f $Result.Verdict, $Result.Minutes, $Result.Engine, $Result.CopyMode, $Result.Concurrency, $Result.LoadSeconds, $Result.TotalSeconds))
    $out.Add(('  connections   {0:N0}: {1:N0} normal, {2:N0} aborted (RST), {3:N0} connect failures' -f $Result.Connections, $c.normal, $c.aborted, $c.connectFailed))
    $out.Add(('  moved         {0:N2} GB through the proxy' -f $Result.GB))
    $out.Add(('  mismatches    {0:N0}' -f $Result.Mismatches))
    $out.Add(('  records       {0:N0} missing, {1:N0} duplicated ({2:N0} dropped by the history limit)' -f $Result.MissingRecords, $Result.DuplicateRecords, $Result.DroppedByHistoryLimit))
    $out.Add(('  aborted       BytesLost {0:N0}, delivered but unread {1:N0} B; {2}' -f $c.lostInPipe, $c.unreadAfterAbort, (Format-Counts $c.abortedReasons)))
    $out.Add(('  RSS MiB       start {0}, after warm-up {1}, max {2}, end {3}, idle after {4}; drift {5}, slope {6} MiB/min' -f (Format-MiB $rss.Start), (Format-MiB $rss.AfterWarmup), (Format-MiB $rss.Max), (Format-MiB $rss.End), (Format-MiB $rss.IdleAfter), (Format-Signed (ConvertTo-MiB $rss.Drift) 'N1'), (Format-Signed (ConvertTo-MiB $rss.SlopePerMinute) 'N2')))
    $out.Add(('  descriptors   start {0}, after warm-up {1}, max {2}, end {3}, idle after {4}; drift {5}, idle drift {6} ({7} less pooled pipes)' -f $fds.Start, $fds.AfterWarmup, $fds.Max, $fds.End, $fds.IdleAfter, (Format-Signed $fds.Drift), (Format-Signed $fds.IdleDrift), (Format-Signed $Result.FdsLessIdlePipes.IdleDrift)))
    foreach ($m in @($Result.FirstMismatches) | Select-Object -First 5) { $out.Add("  ! $m") }
    foreach ($m in @($Result.FirstMissing) | Select-Object -First 5) { $out.Add("  ? $m") }
    foreach ($f in $Result.Failures) { $out.Add("  failure: $f") }
    foreach ($n in $Result.Notes) { $out.Add("  note: $n") }
    $out -join "`n"
}

Export-ModuleMember -Function Format-SoakMarkdown, Format-SoakSummary
