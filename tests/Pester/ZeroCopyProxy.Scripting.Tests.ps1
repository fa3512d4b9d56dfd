# ZeroCopyPS scripted the way PowerShell users script their other tools: proxies among other jobs in
# Get-Job, proxies started from a CSV or a psd1, online help, stops that say what they wait for and can
# be forced, records that survive ConvertTo-Json and Export-Csv, the managed engine's fallback reason.
# Each Describe is one item of the issue "Script it like a native PowerShell tool"; the tests are written
# as the user would type the commands.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Import-TestModule
    $script:echo = New-TestEchoServer
    $script:RepoRoot = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).ProviderPath

    # One closed connection's record, from a proxy started with -Name and the given options.
    function Get-OneRecord([string] $Name, [hashtable] $Options = @{}) {
        $job = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $script:echo.EndPoint -Name $Name @Options
        $result = Invoke-TestExchange -Port (Get-TestListenPort $job) -Bytes 100000
        $result.EchoMatches | Should -BeTrue
        Wait-TestCondition { $job.Output.Count -ge 1 } -Because "the statistics of the connection through $Name"
        Receive-Job $job
    }
}

AfterAll {
    Remove-TestProxyJob
    Get-Job -Name 'mixed-*' -ErrorAction SilentlyContinue | Remove-Job -Force
    if ($script:echo) { $script:echo.Dispose() }
}

Describe 'Get-Job shows a proxy like any other job (1)' {
    BeforeAll {
        $script:thread = Start-ThreadJob -ScriptBlock { 'done' } -Name 'mixed-thread'
        $null = Wait-Job $script:thread -Timeout 30
        $script:proxy = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $script:echo.EndPoint -Name 'mixed-proxy'
    }

    It 'renders a proxy and a thread job in one table, whichever comes first: <Order>' -ForEach @(
        @{ Order = 'proxy first'; ProxyFirst = $true }
        @{ Order = 'thread job first'; ProxyFirst = $false }
    ) {
        $jobs = if ($ProxyFirst) { $script:proxy, $script:thread } else { $script:thread, $script:proxy }
        $text = $jobs | Out-String -Width 120
        @($text -split "`n" | Where-Object { $_ -match '^Id\s+Name\s+PSJobTypeName\s+State\s+HasMoreData\s+Location\s+Command\s*$' }) | Should -HaveCount 1
        $text | Should -Match ('mixed-proxy\s+ZeroCopyProxy\s+Running\s+False\s+' + [regex]::Escape($script:proxy.Location) + '\s+-> ' + [regex]::Escape($script:echo.EndPoint))
        $text | Should -Match 'mixed-thread\s+ThreadJob\s+Completed\s+True'
        $text | Should -Not -Match '(?m)^\s*(PSJobTypeName|Command)\s*:' -Because 'no job falls out of the table into a list'
        $text | Should -Not -Match 'ZeroCopyProxyJ…|Start-ZeroCopyProxy -Lis…'
    }

    It 'is what Get-Job prints for the session' {
        # Get-Job -Name with a wildcard passes over thread jobs (a PowerShell quirk), hence Where-Object.
        $text = Get-Job | Where-Object Name -Like 'mixed-*' | Out-String -Width 120
        $text | Should -Match 'mixed-proxy\s+ZeroCopyProxy\s+Running'
        $text | Should -Match 'mixed-thread\s+ThreadJob\s+Completed'
    }
}

Describe 'Proxies from a pipeline of records (2)' {
    AfterEach { Remove-TestProxyJob }

    It 'starts every proxy of a CSV in one pipeline' {
        $csv = Join-Path $TestDrive 'proxies.csv'
        @(
            'Name,Listen,Target,CopyMode,IdleTimeout'
            "csv-a,127.0.0.1:0,$($script:echo.EndPoint),Splice,300"
            "csv-b,127.0.0.1:0,$($script:echo.EndPoint),Buffered,00:02:00"
            "csv-c,127.0.0.1:0,$($script:echo.EndPoint),Auto,60"
        ) | Set-Content -LiteralPath $csv

        $jobs = @(Import-Csv -LiteralPath $csv | Start-ZeroCopyProxy)

        $jobs | Should -HaveCount 3
        $jobs.Name | Should -Be 'csv-a', 'csv-b', 'csv-c'
        $jobs.CopyMode | Should -Be 'Splice', 'Buffered', 'Auto'
        foreach ($job in $jobs) { (Invoke-TestExchange -Port (Get-TestListenPort $job) -Bytes 70000).EchoMatches | Should -BeTrue }
    }

    It 'starts the proxies of a psd1, each keeping the defaults of what its record leaves out' {
        $psd1 = Join-Path $TestDrive 'proxies.psd1'
        Set-Content -LiteralPath $psd1 -Value @"
@{
    Proxies = @(
        @{ Name = 'psd1-small'; Listen = '127.0.0.1:0'; Target = '$($script:echo.EndPoint)'; MaxConnections = 5; DnsCacheDuration = 0 }
        @{ Name = 'psd1-plain'; Listen = '127.0.0.1:0'; Target = '$($script:echo.EndPoint)' }
    )
}
"@
        $jobs = @((Import-PowerShellDataFile -LiteralPath $psd1).Proxies | ForEach-Object { [pscustomobject]$_ } | Start-ZeroCopyProxy)

        $jobs.Name | Should -Be 'psd1-small', 'psd1-plain'
        (Get-ZeroCopyProxy psd1-small).EffectiveMaxConnections | Should -Be 5
        (Get-ZeroCopyProxy psd1-plain).EffectiveMaxConnections | Should -BeGreaterThan 5 -Because 'the second record did not inherit the first one''s MaxConnections'
    }

    It 'finds and stops a proxy named by a Name property: Get-ZeroCopyProxy and Stop-ZeroCopyProxy' {
        $null = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $script:echo.EndPoint -Name 'byname'

        ([pscustomobject]@{ Name = 'byname' } | Get-ZeroCopyProxy).Name | Should -Be 'byname'
        [pscustomobject]@{ Name = 'byname' } | Stop-ZeroCopyProxy
        (Get-Job -Name 'byname').State | Should -Be 'Stopped'
    }
}

Describe 'Online help (3)' {
    It '<Name> points Get-Help -Online at its page in the repository' -ForEach @(
        @{ Name = 'Start-ZeroCopyProxy' }, @{ Name = 'Get-ZeroCopyProxy' }, @{ Name = 'Stop-ZeroCopyProxy' }, @{ Name = 'Measure-SocketCopy' }
    ) {
        $uri = "https://github.com/zerocopyps/ZeroCopyPS/blob/main/docs/cmdlets/$Name.md"
        (Get-Command $Name).HelpUri | Should -Be $uri
        @((Get-Help $Name).relatedLinks.navigationLink)[0].uri | Should -Be $uri -Because 'the first related link is what -Online opens'
        Join-Path $script:RepoRoot "docs/cmdlets/$Name.md" | Should -Exist
    }

    It 'opens that page with Get-Help -Online' {
        # The browser is whatever xdg-open starts; this one writes down what it was asked to open.
        $bin = Join-Path $TestDrive 'bin'
        $opened = Join-Path $TestDrive 'opened.txt'
        $null = New-Item -ItemType Directory -Force -Path $bin
        Set-Content -LiteralPath (Join-Path $bin 'xdg-open') -Value "#!/bin/sh`necho `"`$1`" > '$opened'"
        & chmod +x (Join-Path $bin 'xdg-open')
        $path = $env:PATH
        try {
            $env:PATH = $bin + [IO.Path]::PathSeparator + $path
            Get-Help Start-ZeroCopyProxy -Online
            Wait-TestCondition { Test-Path -LiteralPath $opened } -Because 'xdg-open to be called'
        }
        finally { $env:PATH = $path }
        (Get-Content -LiteralPath $opened).Trim() | Should -Be 'https://github.com/zerocopyps/ZeroCopyPS/blob/main/docs/cmdlets/Start-ZeroCopyProxy.md'
    }

    It 'has a HelpInfoURI in its manifest' {
        (Import-PowerShellDataFile -LiteralPath (Get-TestModuleManifest))['HelpInfoURI'] | Should -Match '^https://github\.com/zerocopyps/ZeroCopyPS/'
    }
}

Describe 'Stopping with an open connection (4)' {
    BeforeEach {
        $script:job = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $script:echo.EndPoint -Name 'draining' -DrainTimeout 30
        $script:idle = Open-TestIdleConnection -Port (Get-TestListenPort $script:job)
        Wait-TestCondition { (Get-ZeroCopyProxy draining).ActiveConnections -eq 1 } -Because 'the connection to be open'
    }

    AfterEach {
        $script:idle.Dispose()
        Remove-TestProxyJob
    }

    It 'returns within 3 s with -Force (no 30 s drain), resetting the connection' {
        $elapsed = Measure-Command { Stop-ZeroCopyProxy -Name draining -Force }

        $elapsed.TotalSeconds | Should -BeLessThan 3
        $script:job.State | Should -Be 'Stopped'
        (Receive-Job $script:job).CloseReason | Should -Be 'ProxyStopped'
    }

    It 'waits -DrainTimeout, not the proxy''s own 30 s, and says so under -Verbose' {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $verbose = @(Stop-ZeroCopyProxy -Name draining -DrainTimeout 0.5 -Verbose 4>&1 | ForEach-Object Message)
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10

        $verbose | Should -Contain "Performing the operation ""Stop proxy"" on target ""draining (Id $($script:job.Id), $($script:job.Location) -> $($script:echo.EndPoint))""."
        ($verbose -join "`n") | Should -Match "Stopping proxy 'draining' .*: closing its listeners \(127\.0\.0\.1:\d+\); waiting up to 500\.0 ms for 1 connection to finish"
        ($verbose -join "`n") | Should -Match "Proxy 'draining' stopped in .*: 1 connection still open when the drain ended was reset\."
        (Receive-Job $script:job).CloseReason | Should -Be 'ProxyStopped'
    }

    It 'refuses -Force with -DrainTimeout and stops nothing' {
        { Stop-ZeroCopyProxy -Name draining -Force -DrainTimeout 5 } | Should -Throw -ErrorId 'ForceWithDrainTimeout,ZeroCopyPS.StopZeroCopyProxyCommand'
        $script:job.State | Should -Be 'Running'
    }

    It 'says where it listens under Start -Verbose, in job mode too' {
        $verbose = @(Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $script:echo.EndPoint -Name 'verbose-start' -Verbose 4>&1 |
                Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message)
        ($verbose -join "`n") | Should -Match "Proxy 'verbose-start' listening on 127\.0\.0\.1:\d+, forwarding to $([regex]::Escape($script:echo.EndPoint))"
    }
}

Describe 'Records and jobs as text, JSON and CSV (5)' {
    BeforeAll { $script:record = Get-OneRecord 'forms' @{ CopyMode = 'Splice' } }
    AfterAll { Remove-TestProxyJob }

    It 'prints a job as its name, id, state and endpoints in "$job"' {
        $job = Get-Job -Name forms
        "$job" | Should -Be "forms (Id $($job.Id), ZeroCopyProxy, Running): $($job.Location) -> $($script:echo.EndPoint)"
    }

    It 'carries durations in milliseconds and the start time in ISO 8601, beside the typed properties' {
        $script:record.Duration | Should -BeOfType [TimeSpan]
        $script:record.StartTime | Should -BeOfType [DateTimeOffset]
        $script:record.DurationMs | Should -Be ([math]::Round($script:record.Duration.TotalMilliseconds, 3))
        $script:record.ConnectTimeMs | Should -Be ([math]::Round($script:record.ConnectTime.TotalMilliseconds, 3))
        $script:record.StartTimeIso | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$'
    }

    It 'survives a JSON round trip: ConvertTo-Json -EnumsAsStrings, then ConvertFrom-Json' {
        $back = $script:record | ConvertTo-Json -EnumsAsStrings | ConvertFrom-Json

        $back.ProxyName | Should -Be 'forms'
        $back.BytesClientToTarget | Should -Be 100000
        $back.CopyPathUsed | Should -Be 'Splice'
        $back.CloseReason | Should -Be 'ClientClosed'
        $back.DurationMs | Should -Be $script:record.DurationMs
        # ConvertFrom-Json reads an ISO 8601 string back as a DateTime, to the tick.
        ([DateTimeOffset]$back.StartTimeIso).UtcTicks | Should -Be $script:record.StartTime.UtcTicks
    }

    It 'writes the ISO start time to CSV in any culture' {
        $culture = [Globalization.CultureInfo]::CurrentCulture
        try {
            [Globalization.CultureInfo]::CurrentCulture = 'de-DE'
            $row = $script:record | ConvertTo-Csv | ConvertFrom-Csv
        }
        finally { [Globalization.CultureInfo]::CurrentCulture = $culture }
        $row.StartTimeIso | Should -Be $script:record.StartTimeIso
        $row.CopyPathUsed | Should -Be 'Splice'
    }

    It 'prints a record as what the connection did in "$record"' {
        # ConnectionStatistics is the engine's type; only a ToString of its own changes string expansion (ETS members cannot).
        "$($script:record)" | Should -Match "^forms #1 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+: \d+ B to target, \d+ B to client, \w+, \w+$"
    }
}

Describe 'The managed engine by choice (6)' {
    AfterAll { Remove-TestProxyJob }

    It 'reports FallbackReason ManagedEngine for a proxy started with -Engine Managed on Linux' -Skip:(-not $IsLinux) {
        $record = Get-OneRecord 'managed' @{ Engine = 'Managed' }
        (Get-Job -Name managed).Engine | Should -Be 'Managed'
        $record.CopyPathUsed | Should -Be 'Buffered'
        $record.FallbackReason | Should -Be 'ManagedEngine'
    }
}

Describe 'Measure-SocketCopy -Endpoint against ordinary echo services (8)' {
    It 'moves 16 MiB through an echo with small buffers: it reads while it writes' {
        $small = New-TestEchoServer -BufferBytes 1KB
        try {
            $m = Measure-SocketCopy -Endpoint $small.EndPoint -BulkSize 16MB -RoundTrips 50 -Duration 30
            $m.BulkBytes | Should -Be 16MB
            $small.BytesReceived | Should -BeGreaterOrEqual 16MB
        }
        finally { $small.Dispose() }
    }

    It 'says the endpoint stopped taking bytes and nothing came back, when it never reads' {
        $deaf = [ZeroCopyPS.TestSupport.TestServer]::Deaf([ZeroCopyPS.TestSupport.Transport]::Tcp4)
        try {
            $null = Measure-SocketCopy -Endpoint $deaf.Endpoint -BulkSize 64MB -RoundTrips 1 -Duration 3 -ErrorVariable failed -ErrorAction SilentlyContinue
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'EndpointNotEchoing,*'
            $failed[0].ErrorDetails.Message | Should -Match 'The endpoint stopped taking bytes [\d.]+ s before the deadline \(its receive window stayed full\); nothing came back'
        }
        finally { $deaf.Dispose() }
    }

    It 'says the endpoint stopped taking bytes and the echo stopped, when both did' {
        $holding = [ZeroCopyPS.TestSupport.TestServer]::EchoThenHold(64KB, [ZeroCopyPS.TestSupport.Transport]::Tcp4)
        try {
            $null = Measure-SocketCopy -Endpoint $holding.Endpoint -BulkSize 64MB -RoundTrips 1 -Duration 3 -ErrorVariable failed -ErrorAction SilentlyContinue
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'EndpointTimedOut,*'
            $failed[0].ErrorDetails.Message | Should -Match 'The endpoint stopped taking bytes [\d.]+ s before the deadline'
            $failed[0].ErrorDetails.Message | Should -Match '65536 came back.*the echo stopped [\d.]+ s before the deadline'
        }
        finally { $holding.Dispose() }
    }
}

Describe 'The job history: bounded, dropped oldest first, read the PowerShell way' {
    AfterEach { Remove-TestProxyJob }

    It 'keeps the newest -HistoryLimit records and counts every dropped one' {
        $job = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $script:echo.EndPoint -Name 'ring' -HistoryLimit 3
        foreach ($i in 1..7) { $null = Invoke-TestExchange -Port (Get-TestListenPort $job) -Bytes 10 }
        Wait-TestCondition { $job.Output.Count + $job.DroppedStatisticsCount -ge 7 } -Because 'every record to be published'

        $job.DroppedStatisticsCount | Should -Be 4
        (Receive-Job $job).ConnectionId | Should -Be 5, 6, 7
    }

    It 'leaves the records in place with Receive-Job -Keep' {
        $job = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $script:echo.EndPoint -Name 'keep'
        foreach ($i in 1..2) { $null = Invoke-TestExchange -Port (Get-TestListenPort $job) -Bytes 10 }
        Wait-TestCondition { $job.Output.Count -ge 2 } -Because 'both records'

        (Receive-Job $job -Keep).ConnectionId | Should -Be 1, 2
        $job.HasMoreData | Should -BeTrue
        (Receive-Job $job).ConnectionId | Should -Be 1, 2
        $job.HasMoreData | Should -BeFalse
    }

    It 'lets Wait-Job time out on a running proxy and return it once it stopped, every record readable' {
        $job = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $script:echo.EndPoint -Name 'waited'
        $idle = Open-TestIdleConnection -Port (Get-TestListenPort $job)
        try {
            Wait-TestCondition { (Get-ZeroCopyProxy waited).ActiveConnections -eq 1 } -Because 'the connection to be open'
            Wait-Job $job -Timeout 1 | Should -BeNullOrEmpty
            $waiter = Start-ThreadJob -ScriptBlock { param($j) Wait-Job $j -Timeout 30 | ForEach-Object Name } -ArgumentList $job
            Stop-ZeroCopyProxy -Name waited -Force
            Receive-Job $waiter -Wait -AutoRemoveJob | Should -Be 'waited'
        }
        finally { $idle.Dispose() }
        (Receive-Job $job).CloseReason | Should -Be 'ProxyStopped' -Because 'the stop delivers what the engine reported before the state says Stopped'
    }
}
