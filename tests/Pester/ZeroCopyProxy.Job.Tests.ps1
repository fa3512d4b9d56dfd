# The job contract of Start-ZeroCopyProxy: a ZeroCopyProxyJob that Get-Job, Receive-Job,
# Wait-Job, Stop-Job and Remove-Job handle, and the typed objects it produces. All traffic is
# on 127.0.0.1 against the loopback peers of TestHelpers.psm1.

BeforeAll {
    $script:echo = $null   # AfterAll runs even when this block fails half-way
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Import-TestModule
    $script:echo = New-TestEchoServer
}

AfterAll {
    Remove-TestProxyJob
    if ($script:echo) { $script:echo.Dispose() }
}

Describe 'Start-ZeroCopyProxy (job)' {
    AfterEach { Remove-TestProxyJob }

    It 'returns a running ZeroCopyProxyJob that Get-Job finds by Id and by Name' {
        $job = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $echo.EndPoint -Name 'job-contract'

        $job | Should -BeOfType ([ZeroCopyPS.ZeroCopyProxyJob])
        $job.JobStateInfo.State | Should -Be ([System.Management.Automation.JobState]::Running)
        $job.PSJobTypeName | Should -Be 'ZeroCopyProxy'
        $job.Name | Should -Be 'job-contract'
        $job.ProxyName | Should -Be 'job-contract'
        $job.Target | Should -Be $echo.EndPoint
        $job.CopyMode | Should -Be ([ZeroCopyPS.Engine.CopyMode]::Auto)
        $job.HistoryLimit | Should -Be 10000
        @($job.ListenEndPoints) | Should -HaveCount 1
        $job.ListenEndPoints[0] | Should -Match '^127\.0\.0\.1:[1-9][0-9]*$' -Because 'port 0 is reported as the port the kernel chose'
        $job.Location | Should -Be $job.ListenEndPoints[0]
        $job.StatusMessage | Should -Be '0 active, 0 total'
        $job.HasMoreData | Should -BeFalse

        [object]::ReferenceEquals((Get-Job -Id $job.Id), $job) | Should -BeTrue
        [object]::ReferenceEquals((Get-Job -Name 'job-contract'), $job) | Should -BeTrue
        Test-TestConnect -Port (Get-TestListenPort $job) | Should -BeTrue
    }

    It 'names each proxy uniquely when -Name is omitted' {
        $first = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint
        $second = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint

        $first.Name | Should -Match '^zcproxy[0-9]+$'
        $second.Name | Should -Match '^zcproxy[0-9]+$'
        $second.Name | Should -Not -Be $first.Name
    }

    It 'listens on several endpoints at once' {
        $job = Start-ZeroCopyProxy -Listen 127.0.0.1:0, 127.0.0.1:0 -Target $echo.EndPoint

        @($job.ListenEndPoints) | Should -HaveCount 2
        foreach ($endpoint in $job.ListenEndPoints) {
            $result = Invoke-TestExchange -Port ([int]($endpoint -split ':')[-1]) -Bytes 100
            $result.EchoMatches | Should -BeTrue
        }
    }

    It 'bridges a Unix socket listener to a TCP target' {
        $name = "zcps-test-$([guid]::NewGuid().ToString('N').Substring(0, 12))"
        $job = Start-ZeroCopyProxy -Listen "unix:@$name" -Target $echo.EndPoint

        $job.ListenEndPoints | Should -Be "unix:@$name"
        $result = Invoke-TestUnixExchange -Path "@$name" -Bytes 150000
        $result.Error | Should -BeNullOrEmpty
        $result.EchoMatches | Should -BeTrue
        Wait-TestCondition { $job.Output.Count -ge 1 } -Because 'the connection''s statistics'
        $stats = @(Receive-Job $job)
        $stats[0].BytesClientToTarget | Should -Be 150000
        $stats[0].BytesTargetToClient | Should -Be 150000
        $stats[0].ListenEndPoint | Should -Be "unix:@$name"
    }

    It 'Receive-Job returns one ConnectionStatistics per connection with exact byte counts' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'job-stats'
        $port = Get-TestListenPort $job

        $big = Invoke-TestExchange -Port $port -Bytes 300000
        $big.Error | Should -BeNullOrEmpty
        $big.EchoMatches | Should -BeTrue
        Wait-TestCondition { $job.Output.Count -ge 1 } -Because 'the first connection''s statistics'
        $small = Invoke-TestExchange -Port $port -Bytes 10
        $small.EchoMatches | Should -BeTrue
        Wait-TestCondition { $job.Output.Count -ge 2 } -Because 'the second connection''s statistics'
        $job.HasMoreData | Should -BeTrue

        $stats = @(Receive-Job $job)

        $stats | Should -HaveCount 2
        $stats[0] | Should -BeOfType ([ZeroCopyPS.Engine.ConnectionStatistics])
        $stats[0].ConnectionId | Should -Be 1
        $stats[0].ProxyName | Should -Be 'job-stats'
        $stats[0].ClientEndPoint | Should -Be $big.LocalEndPoint
        $stats[0].ListenEndPoint | Should -Be $job.ListenEndPoints[0]
        $stats[0].TargetEndPoint | Should -Be $echo.EndPoint
        $stats[0].BytesClientToTarget | Should -Be 300000
        $stats[0].BytesTargetToClient | Should -Be 300000
        $stats[0].TotalBytes | Should -Be 600000
        ($stats[0].BytesSpliced + $stats[0].BytesCopied) | Should -Be 600000 -Because 'every delivered byte went one way or the other'
        $stats[0].BytesLost | Should -Be 0
        $stats[0].CopyModeRequested | Should -Be ([ZeroCopyPS.Engine.CopyMode]::Auto)
        $stats[0].CloseReason | Should -Be ([ZeroCopyPS.Engine.CloseReason]::ClientClosed)
        $stats[0].Error | Should -BeNullOrEmpty
        $stats[0].Duration | Should -BeGreaterThan ([TimeSpan]::Zero)
        $stats[0].ConnectTime | Should -BeLessOrEqual $stats[0].Duration

        $stats[1].ConnectionId | Should -Be 2
        $stats[1].ClientEndPoint | Should -Be $small.LocalEndPoint
        $stats[1].BytesClientToTarget | Should -Be 10
        $stats[1].BytesTargetToClient | Should -Be 10

        $job.HasMoreData | Should -BeFalse -Because 'Receive-Job consumed the statistics'
        @(Receive-Job $job) | Should -HaveCount 0
        $job.StatusMessage | Should -Be '0 active, 2 total'
    }

    It 'hands its options to the engine' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'job-options' -CopyMode Buffered -MaxPipes 7 -MaxPipeMemory 8MB -EventLoopCount 1

        $status = Get-ZeroCopyProxy -Name 'job-options'

        $job.CopyMode | Should -Be ([ZeroCopyPS.Engine.CopyMode]::Buffered)
        $status.CopyMode | Should -Be ([ZeroCopyPS.Engine.CopyMode]::Buffered)
        $status.MaxPipes | Should -Be 7
        $status.MaxPipeMemoryBytes | Should -Be 8MB
        $status.EventLoops | Should -Be 1
        $null = Invoke-TestExchange -Port (Get-TestListenPort $job) -Bytes 200000
        Wait-TestCondition { $job.Output.Count -ge 1 } -Because 'the connection''s statistics'
        $stats = @(Receive-Job $job)
        $stats[0].CopyPathUsed | Should -Be ([ZeroCopyPS.Engine.CopyPath]::Buffered)
        $stats[0].BytesSpliced | Should -Be 0
    }

    It 'takes sizes as PowerShell users write them: -PipeSize <PipeSize>' -ForEach @(
        @{ PipeSize = '256KiB'; Bytes = 262144 }
        @{ PipeSize = '128KB'; Bytes = 131072 }
    ) {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -CopyMode Splice -PipeSize $PipeSize -BufferSize '32KiB'
        $null = Invoke-TestExchange -Port (Get-TestListenPort $job) -Bytes 100000
        Wait-TestCondition { $job.Output.Count -ge 1 } -Because 'the connection''s statistics'

        (Get-ZeroCopyProxy -Id $job.Id).PipeCapacityBytes | Should -Be $Bytes
    }

    It 'runs on the portable managed engine with -Engine Managed' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Engine Managed

        $job.Engine | Should -Be ([ZeroCopyPS.Engine.EngineKind]::Managed)
        $result = Invoke-TestExchange -Port (Get-TestListenPort $job) -Bytes 65537
        $result.EchoMatches | Should -BeTrue
        Wait-TestCondition { $job.Output.Count -ge 1 } -Because 'the connection''s statistics'
        $stats = @(Receive-Job $job)
        $stats[0].BytesClientToTarget | Should -Be 65537
        $stats[0].BytesTargetToClient | Should -Be 65537
        $stats[0].CopyPathUsed | Should -Be ([ZeroCopyPS.Engine.CopyPath]::Buffered)
    }

    It 'Stop-Job stops synchronously, releases the port, and Wait-Job reports Stopped' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint
        $port = Get-TestListenPort $job

        Stop-Job $job

        $job.JobStateInfo.State | Should -Be ([System.Management.Automation.JobState]::Stopped)
        $waited = Wait-Job $job -Timeout 10
        $waited.JobStateInfo.State | Should -Be ([System.Management.Automation.JobState]::Stopped)
        $job.PSEndTime | Should -Not -BeNullOrEmpty
        Test-TestConnect -Port $port | Should -BeFalse -Because 'the listener is closed'
        { Stop-Job $job -ErrorAction Stop } | Should -Not -Throw -Because 'stopping is idempotent'
    }

    It 'keeps the statistics of a stopped proxy readable' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint
        $null = Invoke-TestExchange -Port (Get-TestListenPort $job) -Bytes 4096
        Wait-TestCondition { $job.Output.Count -ge 1 } -Because 'the connection''s statistics'

        Stop-Job $job

        $stats = @(Receive-Job $job)
        $stats | Should -HaveCount 1
        $stats[0].BytesClientToTarget | Should -Be 4096
    }

    It 'Remove-Job -Force stops and removes a running proxy' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint
        $id = $job.Id
        $port = Get-TestListenPort $job

        Remove-Job $job -Force

        Get-Job -Id $id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-TestConnect -Port $port | Should -BeFalse
    }

    It 'keeps at most -HistoryLimit statistics, dropping the oldest and counting them' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -HistoryLimit 2 -Name 'job-history'
        $port = Get-TestListenPort $job
        foreach ($i in 1..5) {
            $null = Invoke-TestExchange -Port $port -Bytes $i
            # One at a time, so "oldest" is well defined.
            Wait-TestCondition { ($job.Output.Count + $job.DroppedStatisticsCount) -ge $i } -Because "statistics of connection $i"
        }

        $job.Output.Count | Should -Be 2
        $job.DroppedStatisticsCount | Should -Be 3
        (Get-ZeroCopyProxy -Name 'job-history').DroppedStatisticsCount | Should -Be 3
        $kept = @(Receive-Job $job)
        $kept.ConnectionId | Should -Be @(4, 5)
        $kept.BytesClientToTarget | Should -Be @(4, 5)
    }
}

Describe 'Get-ZeroCopyProxy' {
    AfterEach { Remove-TestProxyJob }

    It 'reports live counters as a ZeroCopyProxyStatus' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'status-live'
        $port = Get-TestListenPort $job
        $null = Invoke-TestExchange -Port $port -Bytes 5000
        $null = Invoke-TestExchange -Port $port -Bytes 7000
        Wait-TestCondition { $job.Output.Count -ge 2 } -Because 'both connections to close'

        $status = Get-ZeroCopyProxy -Name 'status-live'

        $status | Should -BeOfType ([ZeroCopyPS.ZeroCopyProxyStatus])
        $status.Id | Should -Be $job.Id
        $status.Name | Should -Be 'status-live'
        $status.State | Should -Be ([System.Management.Automation.JobState]::Running)
        $status.ListenEndPoints | Should -Be $job.ListenEndPoints
        $status.Target | Should -Be $echo.EndPoint
        $status.CopyMode | Should -Be ([ZeroCopyPS.Engine.CopyMode]::Auto)
        $status.ActiveConnections | Should -Be 0
        $status.TotalConnections | Should -Be 2
        $status.FailedConnections | Should -Be 0
        $status.BytesClientToTarget | Should -Be 12000
        $status.BytesTargetToClient | Should -Be 12000
        ($status.BytesSpliced + $status.BytesCopied) | Should -Be 24000
        $status.EventLoops | Should -BeGreaterThan 0
        $status.MaxPipes | Should -Be 512
        $status.MaxPipeMemoryBytes | Should -Be 64MB
        $status.PipeCapacityBytes | Should -Be ([Math]::Min(1MB, [int](Get-Content /proc/sys/fs/pipe-max-size)))
        $status.Uptime | Should -BeGreaterThan ([TimeSpan]::Zero)
        $status.StartTime | Should -BeLessOrEqual ([DateTimeOffset]::Now)
        $status.DroppedStatisticsCount | Should -Be 0
    }

    It 'shows byte totals human-readably in its default table' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'status-table'
        $null = Invoke-TestExchange -Port (Get-TestListenPort $job) -Bytes 102400
        Wait-TestCondition { $job.Output.Count -ge 1 } -Because 'the connection to close'

        $table = Get-ZeroCopyProxy -Name 'status-table' | Out-String -Width 200

        $table | Should -Match 'ToTarget'
        $table | Should -Match '100\.0 KiB'
    }

    It 'lists every proxy, filters by wildcard and by Id, and ignores other jobs' {
        $a = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'gz-a'
        $b = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'gz-b'
        $other = Start-ThreadJob -Name 'gz-other' -ScriptBlock { 1 }
        try {
            (Get-ZeroCopyProxy).Name | Should -Be @('gz-a', 'gz-b')
            (Get-ZeroCopyProxy -Name 'GZ-*').Name | Should -Be @('gz-a', 'gz-b')
            (Get-ZeroCopyProxy 'gz-b').Id | Should -Be $b.Id
            (Get-ZeroCopyProxy -Id $a.Id).Name | Should -Be 'gz-a'
            Get-ZeroCopyProxy -Name 'gz-other' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
        finally {
            $other | Remove-Job -Force
        }
    }

    It 'writes a non-terminating ProxyNotFound for an exact name or Id that matches nothing' {
        $result = Get-ZeroCopyProxy -Name 'no-such-proxy' -ErrorAction SilentlyContinue -ErrorVariable notFound

        $result | Should -BeNullOrEmpty
        $notFound | Should -HaveCount 1
        $notFound[0].FullyQualifiedErrorId | Should -Be 'ProxyNotFound,ZeroCopyPS.GetZeroCopyProxyCommand'
        $notFound[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ObjectNotFound)
        $notFound[0].TargetObject | Should -Be 'no-such-proxy'

        $null = Get-ZeroCopyProxy -Id 987654 -ErrorAction SilentlyContinue -ErrorVariable notFoundById
        $notFoundById[0].FullyQualifiedErrorId | Should -Be 'ProxyNotFound,ZeroCopyPS.GetZeroCopyProxyCommand'
        $notFoundById[0].TargetObject | Should -Be 987654
    }

    It 'is silent for a wildcard that matches nothing' {
        { Get-ZeroCopyProxy -Name 'no-such-*' -ErrorAction Stop } | Should -Not -Throw
    }

    It 'keeps the final counters of a stopped proxy' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'status-final'
        $null = Invoke-TestExchange -Port (Get-TestListenPort $job) -Bytes 2048
        Wait-TestCondition { $job.Output.Count -ge 1 } -Because 'the connection to close'
        Stop-Job $job

        $status = Get-ZeroCopyProxy -Name 'status-final'

        $status.State | Should -Be ([System.Management.Automation.JobState]::Stopped)
        $status.TotalConnections | Should -Be 1
        $status.BytesClientToTarget | Should -Be 2048
        $status.ActiveConnections | Should -Be 0
        $frozen = $status.Uptime
        Start-Sleep -Milliseconds 100
        (Get-ZeroCopyProxy -Name 'status-final').Uptime | Should -Be $frozen -Because 'uptime ends when the proxy stops'
    }
}

Describe 'Stop-ZeroCopyProxy' {
    BeforeEach {
        $script:job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'to-stop'
        $script:port = Get-TestListenPort $script:job
    }

    AfterEach { Remove-TestProxyJob }

    It 'stops a proxy by name' {
        Stop-ZeroCopyProxy -Name 'to-stop'

        $job.JobStateInfo.State | Should -Be ([System.Management.Automation.JobState]::Stopped)
        Test-TestConnect -Port $port | Should -BeFalse
    }

    It 'stops proxies by wildcard name' {
        $second = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'to-stop-2'

        Stop-ZeroCopyProxy 'to-stop*'

        $job.JobStateInfo.State | Should -Be ([System.Management.Automation.JobState]::Stopped)
        $second.JobStateInfo.State | Should -Be ([System.Management.Automation.JobState]::Stopped)
    }

    It 'stops a proxy by Id' {
        Stop-ZeroCopyProxy -Id $job.Id

        $job.JobStateInfo.State | Should -Be ([System.Management.Automation.JobState]::Stopped)
    }

    It 'stops what Get-ZeroCopyProxy pipes to it (Id by property name)' {
        Get-ZeroCopyProxy -Name 'to-stop' | Stop-ZeroCopyProxy

        $job.JobStateInfo.State | Should -Be ([System.Management.Automation.JobState]::Stopped)
    }

    It 'stops what Get-Job pipes to it' {
        Get-Job -Name 'to-stop' | Stop-ZeroCopyProxy

        $job.JobStateInfo.State | Should -Be ([System.Management.Automation.JobState]::Stopped)
    }

    It 'stops a job object piped to it and passes it through with -PassThru' {
        $passed = $job | Stop-ZeroCopyProxy -PassThru

        [object]::ReferenceEquals($passed, $job) | Should -BeTrue
        $passed.JobStateInfo.State | Should -Be ([System.Management.Automation.JobState]::Stopped)
    }

    It 'outputs nothing without -PassThru' {
        Stop-ZeroCopyProxy -Name 'to-stop' | Should -BeNullOrEmpty
    }

    It 'leaves the proxy running with -WhatIf' {
        Stop-ZeroCopyProxy -Name 'to-stop' -WhatIf
        $job | Stop-ZeroCopyProxy -WhatIf

        $job.JobStateInfo.State | Should -Be ([System.Management.Automation.JobState]::Running)
        (Invoke-TestExchange -Port $port -Bytes 64).EchoMatches | Should -BeTrue
    }

    It 'writes ProxyNotFound for an unknown name and still stops the others' {
        Stop-ZeroCopyProxy -Name 'no-such-proxy', 'to-stop' -ErrorAction SilentlyContinue -ErrorVariable notFound

        $notFound[0].FullyQualifiedErrorId | Should -Be 'ProxyNotFound,ZeroCopyPS.StopZeroCopyProxyCommand'
        $job.JobStateInfo.State | Should -Be ([System.Management.Automation.JobState]::Stopped)
    }

    It 'stops a proxy that is draining an open connection within the drain timeout' {
        $drainJob = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'to-drain' -DrainTimeout 1
        $idle = Open-TestIdleConnection -Port (Get-TestListenPort $drainJob)
        try {
            Wait-TestCondition { (Get-ZeroCopyProxy -Name 'to-drain').ActiveConnections -eq 1 } -Because 'the connection to be proxied'
            $elapsed = Measure-Command { Stop-ZeroCopyProxy -Name 'to-drain' }

            $elapsed.TotalSeconds | Should -BeLessThan 5 -Because 'the drain timeout bounds the stop'
            $drainJob.JobStateInfo.State | Should -Be ([System.Management.Automation.JobState]::Stopped)
            $stats = @(Receive-Job $drainJob)
            $stats | Should -HaveCount 1
            $stats[0].CloseReason | Should -Be ([ZeroCopyPS.Engine.CloseReason]::ProxyStopped)
        }
        finally {
            $idle.Dispose()
        }
    }
}
