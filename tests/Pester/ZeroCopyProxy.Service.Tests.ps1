# Start-ZeroCopyProxy as a service (issue 10): -LogPath (JSON lines, reopen), -MetricsListen (Prometheus text),
# -ReusePort, and -Wait under SIGTERM in a child pwsh: the drain completes a transfer in flight, its record
# reaches the log and the pipeline, pwsh exits 0; a second SIGTERM cuts a drain that would wait.

BeforeAll {
    $script:echo = $null   # AfterAll runs even when this block fails half-way
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:manifest = Import-TestModule
    $script:echo = New-TestEchoServer
    $script:scratch = New-TestTempDirectory

    # Every line of an access log as an object; a line that is not JSON fails ConvertFrom-Json (and the test).
    function Read-AccessLog([string] $Path) {
        @(Get-Content -LiteralPath $Path | ForEach-Object { $_ | ConvertFrom-Json -ErrorAction Stop })
    }

    # The access log is written within a second; waits until it holds -Count connection records.
    function Wait-LogRecord([string] $Path, [int] $Count) {
        Wait-TestCondition { (Test-Path -LiteralPath $Path) -and @(Get-Content -LiteralPath $Path).Count -ge $Count } -TimeoutSeconds 15 -Because "$Count records in $Path"
    }

    # A child pwsh running `Start-ZeroCopyProxy ... -Wait` with -Command, as a systemd unit would (pwsh.dll itself,
    # so the PID signalled is pwsh's; SIGINT at its default); returns the ChildProcess.
    function Start-WaitChild([string] $ProxyArguments) {
        $command = "Import-Module '$script:manifest'; Start-ZeroCopyProxy $ProxyArguments -Wait -WarningAction SilentlyContinue"
        $arguments = @(Get-PwshCommand) + @('-NoProfile', '-NonInteractive', '-Command', $command)
        [ZeroCopyPS.TestSupport.ChildProcess]::Start('exec </dev/null', [string[]]$arguments)
    }

    function Wait-ChildText($Child, [string] $Prefix, [double] $TimeoutSeconds = 30) {
        $rest = $Child.WaitForLine($Prefix, [int]($TimeoutSeconds * 1000))
        if ($null -eq $rest) { throw "The child pwsh (PID $($Child.Id)) printed no line starting '$Prefix' within $TimeoutSeconds s. stdout: $($Child.StandardOutput) stderr: $($Child.StandardError)" }
        $rest
    }
}

AfterAll {
    Remove-TestProxyJob
    if ($script:echo) { $script:echo.Dispose() }
    if ($script:scratch) { Remove-Item -LiteralPath $script:scratch -Recurse -Force -ErrorAction Ignore }
}

Describe 'Start-ZeroCopyProxy -LogPath' {
    It 'logs each of 500 mixed connections exactly once, as valid JSON, with the bytes of its statistics' {
        Push-Location $script:scratch
        try { $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'svc-log' -LogPath 'run.jsonl' -WarningAction SilentlyContinue }
        finally { Pop-Location }
        $log = Join-Path $script:scratch 'run.jsonl'   # relative to the PowerShell location, not the process's
        $port = Get-TestListenPort $job
        $closed = Get-TestClosedPort
        $failing = Start-ZeroCopyProxy 127.0.0.1:0 "127.0.0.1:$closed" -Name 'svc-log-failing' -LogPath $log -WarningAction SilentlyContinue
        # Sizes from 0 bytes to 1 MiB: buffered and spliced directions, and connections to a closed target.
        $sizes = foreach ($i in 0..449) { @(0, 1, 100, 4KB, 64KB, 300KB, 1MB)[$i % 7] + $i }
        foreach ($size in $sizes) { (Invoke-TestExchange -Port $port -Bytes $size).EchoMatches | Should -BeTrue }
        foreach ($i in 1..50) { $null = Invoke-TestExchange -Port (Get-TestListenPort $failing) -Bytes 10 }

        Stop-ZeroCopyProxy -InputObject $job, $failing
        $stats = @(Receive-Job $job) + @(Receive-Job $failing -ErrorAction SilentlyContinue)
        $stats | Should -HaveCount 500
        $records = Read-AccessLog $log   # the log's last handle wrote everything out when the second proxy stopped
        $records | Should -HaveCount 500

        $byKey = @{}
        foreach ($r in $records) { $byKey["$($r.ProxyName)/$($r.ConnectionId)"] += @($r) }
        $wrong = foreach ($s in $stats) {
            $found = @($byKey["$($s.ProxyName)/$($s.ConnectionId)"])
            if ($found.Count -ne 1) { "$($s.ProxyName)/$($s.ConnectionId): $($found.Count) records"; continue }
            $r = $found[0]
            foreach ($field in 'BytesClientToTarget', 'BytesTargetToClient', 'BytesSpliced', 'BytesCopied', 'BytesLost', 'ConnectAttempts') {
                if ($r.$field -ne $s.$field) { "$($s.ProxyName)/$($s.ConnectionId): $field $($r.$field) in the log, $($s.$field) in the statistics" }
            }
            if ($r.CloseReason -ne "$($s.CloseReason)" -or $r.CopyPathUsed -ne "$($s.CopyPathUsed)" -or $r.ProcessId -ne $PID) { "$($s.ProxyName)/$($s.ConnectionId): $($r.CloseReason)/$($r.CopyPathUsed)/$($r.ProcessId)" }
        }
        $wrong | Should -BeNullOrEmpty
        @($records | Where-Object CloseReason -EQ 'ConnectFailed') | Should -HaveCount 50
        @($records | Where-Object { $_.BytesSpliced -gt 0 }).Count | Should -BeGreaterThan 0
        (Get-ZeroCopyProxy -Name 'svc-log').LogRecordsDropped | Should -Be 0
    }

    It 'reopens its log when asked (logrotate moved it): old records stay, new ones go to a new file' {
        $log = Join-Path $script:scratch 'rotate.jsonl'
        $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'svc-rotate' -LogPath $log -WarningAction SilentlyContinue
        $port = Get-TestListenPort $job
        foreach ($i in 1..3) { $null = Invoke-TestExchange -Port $port -Bytes 10 }
        Wait-LogRecord $log 3
        Move-Item -LiteralPath $log -Destination "$log.1"

        Set-ZeroCopyProxy -Name 'svc-rotate' -ReopenLog -WhatIf
        Test-Path -LiteralPath $log | Should -BeFalse   # -WhatIf reopened nothing
        Set-ZeroCopyProxy -Name 'svc-rotate' -ReopenLog -ErrorAction Stop
        Test-Path -LiteralPath $log | Should -BeTrue
        foreach ($i in 1..2) { $null = Invoke-TestExchange -Port $port -Bytes 20 }
        Wait-LogRecord $log 2
        (Get-ZeroCopyProxy -Name 'svc-rotate').LogPath | Should -Be $log
        Stop-ZeroCopyProxy -InputObject $job

        (Read-AccessLog "$log.1").ConnectionId | Should -Be @(1, 2, 3)
        (Read-AccessLog $log).ConnectionId | Should -Be @(4, 5)
    }

    It 'says that a proxy without -LogPath has no log to reopen' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'svc-nolog' -WarningAction SilentlyContinue
        try {
            Set-ZeroCopyProxy -Name 'svc-nolog' -ReopenLog -ErrorVariable failed -ErrorAction SilentlyContinue
            $failed | Should -HaveCount 1
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'NoAccessLog*'
            "$($failed[0])" | Should -BeLike '*-ReopenLog*without -LogPath*'
            { Set-ZeroCopyProxy -Name 'svc-nolog' -ErrorAction Stop } | Should -Throw -ErrorId 'NothingToSet*'
        }
        finally { Stop-ZeroCopyProxy -InputObject $job }
    }
}

Describe 'Start-ZeroCopyProxy -MetricsListen' {
    It 'serves Prometheus text whose counters equal the statistics of a known run' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'svc-metrics' -MetricsListen 127.0.0.1:0 -WarningAction SilentlyContinue
        $port = Get-TestListenPort $job
        foreach ($size in 10, 1000, 100KB, 2MB) { (Invoke-TestExchange -Port $port -Bytes $size).EchoMatches | Should -BeTrue }
        Wait-TestCondition { $s = Get-ZeroCopyProxy -Name 'svc-metrics'; $s.TotalConnections -eq 4 -and $s.ActiveConnections -eq 0 -and $job.Output.Count -eq 4 } -Because 'four closed connections'
        $stats = @($job.Output)
        $url = (Get-ZeroCopyProxy -Name 'svc-metrics').MetricsUrl
        $url | Should -Match '^http://127\.0\.0\.1:\d+/metrics$'

        $response = Invoke-WebRequest -Uri $url -UseBasicParsing
        $response.StatusCode | Should -Be 200
        "$($response.Headers['Content-Type'])" | Should -Match '^text/plain'
        $text = [string]$response.Content
        function Get-Sample([string] $Series) {
            $line = @($text -split "`n" | Where-Object { $_.StartsWith("$Series ") })
            $line | Should -HaveCount 1 -Because "one sample of $Series"
            [double]($line[0] -split ' ')[-1]
        }
        Get-Sample 'zerocopyps_connections_opened_total{proxy="svc-metrics"}' | Should -Be 4
        Get-Sample 'zerocopyps_connections_closed_total{proxy="svc-metrics",reason="ClientClosed"}' | Should -Be @($stats | Where-Object CloseReason -EQ 'ClientClosed').Count
        Get-Sample 'zerocopyps_delivered_bytes_total{proxy="svc-metrics",direction="client_to_target"}' | Should -Be ($stats | Measure-Object BytesClientToTarget -Sum).Sum
        Get-Sample 'zerocopyps_delivered_bytes_total{proxy="svc-metrics",direction="target_to_client"}' | Should -Be ($stats | Measure-Object BytesTargetToClient -Sum).Sum
        Get-Sample 'zerocopyps_copy_path_bytes_total{proxy="svc-metrics",path="splice"}' | Should -Be ($stats | Measure-Object BytesSpliced -Sum).Sum
        Get-Sample 'zerocopyps_copy_path_bytes_total{proxy="svc-metrics",path="buffered"}' | Should -Be ($stats | Measure-Object BytesCopied -Sum).Sum
        Get-Sample 'zerocopyps_connection_duration_seconds_count{proxy="svc-metrics"}' | Should -Be 4
        Get-Sample 'zerocopyps_connections_active{proxy="svc-metrics"}' | Should -Be 0

        Stop-ZeroCopyProxy -InputObject $job
        { Invoke-WebRequest -Uri $url -UseBasicParsing -TimeoutSec 5 } | Should -Throw -Because 'the endpoint stops with its last proxy'
    }
}

Describe 'Start-ZeroCopyProxy -ReusePort' {
    It 'lets two proxies listen on one port, which a third without it cannot take' {
        $first = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'svc-reuse-1' -ReusePort -WarningAction SilentlyContinue
        $port = Get-TestListenPort $first
        $second = Start-ZeroCopyProxy "127.0.0.1:$port" $echo.EndPoint -Name 'svc-reuse-2' -ReusePort -WarningAction SilentlyContinue
        $second.JobStateInfo.State | Should -Be 'Running'
        { Start-ZeroCopyProxy "127.0.0.1:$port" $echo.EndPoint -Name 'svc-reuse-3' -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'ListenAddressInUse,ZeroCopyPS.StartZeroCopyProxyCommand'

        foreach ($i in 1..40) { (Invoke-TestExchange -Port $port -Bytes 50).EchoMatches | Should -BeTrue }
        Wait-TestCondition { ((Get-ZeroCopyProxy -Name 'svc-reuse-*') | Measure-Object TotalConnections -Sum).Sum -eq 40 } -Because '40 connections over both'
        Stop-ZeroCopyProxy -InputObject $first
        (Invoke-TestExchange -Port $port -Bytes 50).EchoMatches | Should -BeTrue -Because 'the second still serves the port'
        Stop-ZeroCopyProxy -InputObject $second
    }
}

Describe 'Start-ZeroCopyProxy -HandOverPath' {
    It 'hands the listening socket to the next proxy, which serves on, while the first stops with its drain' {
        Push-Location $script:scratch   # a relative path is relative to the PowerShell location
        try {
            $first = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'svc-blue' -HandOverPath 'db.handover' -WarningAction SilentlyContinue
            $port = Get-TestListenPort $first
            (Invoke-TestExchange -Port $port -Bytes 10).EchoMatches | Should -BeTrue
            $second = Start-ZeroCopyProxy "127.0.0.1:$port" $echo.EndPoint -Name 'svc-green' -HandOverPath 'db.handover' -WarningAction SilentlyContinue
        }
        finally { Pop-Location }
        Test-Path -LiteralPath (Join-Path $script:scratch 'db.handover') | Should -BeTrue
        Wait-TestCondition { $first.JobStateInfo.State -eq 'Stopped' } -Because 'the first proxy to stop once its listener was taken'
        $second.JobStateInfo.State | Should -Be 'Running'
        (Invoke-TestExchange -Port $port -Bytes 10).EchoMatches | Should -BeTrue
        (Get-ZeroCopyProxy -Name 'svc-green').TotalConnections | Should -Be 1
        (Get-ZeroCopyProxy -Name 'svc-blue').TotalConnections | Should -Be 1
        Stop-ZeroCopyProxy -InputObject $second
    }
}

Describe 'Start-ZeroCopyProxy -Wait in a child pwsh, as a service' {
    It 'completes a 256 MiB transfer in flight on SIGTERM, logs and prints its record, and exits 0' {
        $sink = [ZeroCopyPS.TestSupport.HashingSink]::new()
        $port = Get-TestClosedPort
        $log = Join-Path $script:scratch 'wait.jsonl'
        $child = Start-WaitChild "-Name svc-wait -Listen 127.0.0.1:$port -Target 127.0.0.1:$($sink.Port) -LogPath '$log' -DrainTimeout 120"
        try {
            $listening = Wait-ChildText $child "Proxy 'svc-wait' listening on "
            $listening | Should -BeLike "127.0.0.1:$port, forwarding to 127.0.0.1:$($sink.Port); access log $log.*"
            $sender = [ZeroCopyPS.TestSupport.GatedSender]::Start($port, 256MB, 64MB, 60000)
            Wait-TestCondition { $sink.BytesReceived -ge 64MB } -TimeoutSeconds 30 -Because 'the first 64 MiB through the proxy'

            Send-TestSignal -Child $child -Signal SIGTERM
            $null = Wait-ChildText $child "SIGTERM: proxy 'svc-wait' stopped accepting"
            $sender.Release()

            $sender.Result.Wait(60000) | Should -BeTrue
            $sink.Result.Wait(60000) | Should -BeTrue
            $child.WaitForExit(30000) | Should -BeTrue
            $sent = $sender.Result.Result
            $received = $sink.Result.Result
            $sent.Outcome | Should -Be 'Sent'
            $received.Outcome | Should -Be 'EOF'
            $received.Bytes | Should -Be 256MB
            $received.Sha256 | Should -Be $sent.Sha256
            $child.ExitCode | Should -Be 0 -Because "stderr: $($child.StandardError)"

            $records = Read-AccessLog $log
            $records | Should -HaveCount 1
            $records[0].BytesClientToTarget | Should -Be 256MB
            $records[0].CloseReason | Should -Not -Be 'ProxyStopped'
            # The pipeline's record, as the redirected list view prints it: whole, without ANSI escapes.
            $child.StandardOutput | Should -Match 'BytesClientToTarget\s+:\s+268435456'
            $child.StandardOutput | Should -Match 'ProxyName\s+:\s+svc-wait'
            $child.StandardOutput.Contains([char]27) | Should -BeFalse
        }
        finally {
            if ($sender) { $sender.Release() }
            Stop-TestChild $child
            $sink.Dispose()
        }
    }

    It 'resets a connection that holds the drain when a second SIGTERM comes' {
        $port = Get-TestClosedPort
        $log = Join-Path $script:scratch 'abort.jsonl'
        $child = Start-WaitChild "-Name svc-abort -Listen 127.0.0.1:$port -Target $($echo.EndPoint) -LogPath '$log' -DrainTimeout 3600 -MetricsListen 127.0.0.1:0"
        $idle = $null
        try {
            $listening = Wait-ChildText $child "Proxy 'svc-abort' listening on "
            $found = [regex]::Match($listening, 'metrics (http://127\.0\.0\.1:\d+/metrics)\.')
            $found.Success | Should -BeTrue -Because "the Information line names the metrics address: $listening"
            $metricsUrl = $found.Groups[1].Value
            $accepted = $script:echo.Accepted
            $idle = Open-TestIdleConnection -Port $port
            Wait-TestCondition { $script:echo.Accepted -gt $accepted } -Because 'the idle connection to reach the target'
            # -Wait serves metrics too (port 0 resolved in the Information line).
            (Invoke-WebRequest -Uri $metricsUrl -UseBasicParsing).Content -split "`n" | Should -Contain 'zerocopyps_connections_active{proxy="svc-abort"} 1'

            Send-TestSignal -Child $child -Signal SIGTERM
            Wait-ChildText $child "SIGTERM: proxy 'svc-abort' stopped accepting" | Should -BeLike '*for 1 open connection*'
            $child.HasExited | Should -BeFalse -Because 'the drain waits for the idle connection'
            $clock = [Diagnostics.Stopwatch]::StartNew()
            Send-TestSignal -Child $child -Signal SIGTERM

            $child.WaitForExit(15000) | Should -BeTrue
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
            $records = Read-AccessLog $log
            $records | Should -HaveCount 1
            $records[0].CloseReason | Should -Be 'ProxyStopped'
            $child.StandardOutput | Should -Match 'CloseReason\s+:\s+ProxyStopped'
        }
        finally {
            if ($idle) { $idle.Dispose() }
            Stop-TestChild $child
        }
    }
}

Describe 'Start-ZeroCopyProxy service parameters: bad input' {
    It '<Case> is <Id>, naming <Parameter>' -ForEach @(
        @{ Case = 'a log in a missing directory'; Arguments = @{ LogPath = '/nonexistent-zc-dir/x.jsonl' }; Id = 'AccessLogOpenFailed'; Parameter = '-LogPath' }
        @{ Case = 'a log path that is a directory'; Arguments = @{ LogPath = '/tmp' }; Id = 'InvalidServicePath'; Parameter = '-LogPath' }
        @{ Case = 'a log path with a newline'; Arguments = @{ LogPath = "x`n.jsonl" }; Id = 'InvalidServicePath'; Parameter = '-LogPath' }
        @{ Case = 'a metrics host name'; Arguments = @{ MetricsListen = 'metrics.example:9100' }; Id = 'InvalidMetricsEndpoint'; Parameter = '-MetricsListen' }
        @{ Case = 'a metrics Unix socket'; Arguments = @{ MetricsListen = 'unix:/tmp/m.sock' }; Id = 'InvalidMetricsEndpoint'; Parameter = '-MetricsListen' }
        @{ Case = 'a metrics address that is no endpoint'; Arguments = @{ MetricsListen = '127.0.0.1:99999' }; Id = 'InvalidMetricsEndpoint'; Parameter = '-MetricsListen' }
        @{ Case = 'a hand-over path over 90 bytes'; Arguments = @{ HandOverPath = '/tmp/' + ('h' * 100) }; Id = 'InvalidProxyOptions'; Parameter = '-HandOverPath' }
    ) {
        foreach ($mode in @{}, @{ Wait = $true }) {
            $record = $null
            try { $null = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'svc-bad' @Arguments @mode -WarningAction SilentlyContinue }
            catch { $record = $_ }
            $record | Should -Not -BeNullOrEmpty -Because "$Case must fail ($(if ($mode.Count) { '-Wait' } else { 'job' }))"
            $record.FullyQualifiedErrorId | Should -Be "$Id,ZeroCopyPS.StartZeroCopyProxyCommand"
            "$record" | Should -BeLike "*$Parameter*"
        }
        Get-ZeroCopyProxy -Name 'svc-bad' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty -Because 'nothing was left running'
    }

    It 'is MetricsListenFailed, naming -MetricsListen, when the metrics port is taken' {
        $taken = New-TestEchoServer
        try {
            $record = $null
            try { $null = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'svc-bad-metrics' -MetricsListen "127.0.0.1:$($taken.Port)" -LogPath (Join-Path $script:scratch 'unused.jsonl') }
            catch { $record = $_ }
            $record.FullyQualifiedErrorId | Should -Be 'MetricsListenFailed,ZeroCopyPS.StartZeroCopyProxyCommand'
            "$record" | Should -BeLike '*-MetricsListen*'
            Get-ZeroCopyProxy -Name 'svc-bad-metrics' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
        finally { $taken.Dispose() }
    }
}
