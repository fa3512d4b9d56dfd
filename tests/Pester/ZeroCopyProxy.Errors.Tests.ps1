# Every error Start-ZeroCopyProxy and a running proxy can report: one id, one category and a
# target object per cause. Start errors are terminating and leave nothing running; a failed
# connection is a non-terminating error on the job and the proxy keeps serving.

BeforeAll {
    $script:echo = $null   # AfterAll runs even when this block fails half-way
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Import-TestModule
    $script:echo = New-TestEchoServer

    # Runs a start that must fail; returns its ErrorRecord and checks nothing was left behind.
    function Get-StartError([scriptblock] $Start) {
        $before = @(Get-Job | Where-Object PSJobTypeName -EQ 'ZeroCopyProxy').Count
        $record = $null
        try { & $Start }
        catch { $record = $_ }
        if (-not $record) { throw 'Start-ZeroCopyProxy did not throw.' }
        @(Get-Job | Where-Object PSJobTypeName -EQ 'ZeroCopyProxy').Count | Should -Be $before -Because 'a failed start registers no job'
        $record
    }

    # The ErrorRecord Start-ZeroCopyProxy makes of an engine start failure (the internal ProxyStartErrors).
    function Get-StartErrorRecord($Failure, $Options) {
        $errors = [ZeroCopyPS.ZeroCopyProxyJob].Assembly.GetType('ZeroCopyPS.ProxyStartErrors', $true)
        $errors.GetMethod('FromStartException').Invoke($null, @($Failure, $Options))
    }
}

AfterAll {
    Remove-TestProxyJob
    if ($script:echo) { $script:echo.Dispose() }
}

Describe 'Start-ZeroCopyProxy terminating errors' {
    AfterEach { Remove-TestProxyJob }

    It 'InvalidEndpoint for -<Parameter> ''<Endpoint>''' -ForEach @(
        @{ Parameter = 'Listen'; Endpoint = 'nope:port' }
        @{ Parameter = 'Listen'; Endpoint = '70000' }
        @{ Parameter = 'Listen'; Endpoint = '::1:80' }
        @{ Parameter = 'Target'; Endpoint = 'nope:port' }
        @{ Parameter = 'Target'; Endpoint = '[::1' }
        @{ Parameter = 'Target'; Endpoint = 'unix:' }
    ) {
        $arguments = @{ Listen = '127.0.0.1:0'; Target = $echo.EndPoint }
        $arguments[$Parameter] = $Endpoint

        $record = Get-StartError { Start-ZeroCopyProxy @arguments }

        $record.FullyQualifiedErrorId | Should -Be 'InvalidEndpoint,ZeroCopyPS.StartZeroCopyProxyCommand'
        $record.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidArgument)
        $record.TargetObject | Should -Be $Endpoint
        $record.Exception.Message | Should -Match ([regex]::Escape("-$Parameter"))
        $record.Exception.InnerException | Should -BeOfType ([FormatException])
    }

    It 'InvalidEndpoint in -Wait mode too, before anything listens' {
        $record = Get-StartError { Start-ZeroCopyProxy -Listen 'nope:port' -Target $echo.EndPoint -Wait }

        $record.FullyQualifiedErrorId | Should -Be 'InvalidEndpoint,ZeroCopyPS.StartZeroCopyProxyCommand'
    }

    It 'ListenAddressInUse when the port is already proxied' {
        $first = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint
        $taken = $first.ListenEndPoints[0]

        $record = Get-StartError { Start-ZeroCopyProxy -Listen $taken -Target $echo.EndPoint }

        $record.FullyQualifiedErrorId | Should -Be 'ListenAddressInUse,ZeroCopyPS.StartZeroCopyProxyCommand'
        $record.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ResourceUnavailable)
        $record.TargetObject | Should -Be $taken
        $record.Exception | Should -BeOfType ([ZeroCopyPS.Engine.ProxyStartException])
        $record.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        (Invoke-TestExchange -Port (Get-TestListenPort $first) -Bytes 32).EchoMatches | Should -BeTrue -Because 'the first proxy is unaffected'
    }

    It 'ListenAddressInUse when another program holds the port, and nothing stays bound' {
        $holder = New-TestSinkServer
        try {
            $free = New-TestSinkServer
            $freePort = $free.Port
            $free.Dispose()

            $record = Get-StartError { Start-ZeroCopyProxy -Listen "127.0.0.1:$freePort", "127.0.0.1:$($holder.Port)" -Target $echo.EndPoint }

            $record.FullyQualifiedErrorId | Should -Be 'ListenAddressInUse,ZeroCopyPS.StartZeroCopyProxyCommand'
            $record.TargetObject | Should -Be "127.0.0.1:$($holder.Port)"
            Test-TestConnect -Port $freePort | Should -BeFalse -Because 'the endpoint that did bind was released'
        }
        finally {
            $holder.Dispose()
        }
    }

    It 'ListenAddressNotAvailable for an address this machine does not have' {
        # 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned, so bind fails; nothing is sent.
        $record = Get-StartError { Start-ZeroCopyProxy -Listen 192.0.2.1:0 -Target $echo.EndPoint }

        $record.FullyQualifiedErrorId | Should -Be 'ListenAddressNotAvailable,ZeroCopyPS.StartZeroCopyProxyCommand'
        $record.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidArgument)
        $record.TargetObject | Should -Be '192.0.2.1:0'
    }

    It 'ListenPermissionDenied where binding is not allowed' {
        $denied = Get-TestPermissionDeniedEndpoint
        if (-not $denied) {
            Set-ItResult -Skipped -Because 'no location on this machine refuses a socket bind with EACCES/EPERM (sysfs absent or writable)'
        }

        $record = Get-StartError { Start-ZeroCopyProxy -Listen $denied -Target $echo.EndPoint }

        $record.FullyQualifiedErrorId | Should -Be 'ListenPermissionDenied,ZeroCopyPS.StartZeroCopyProxyCommand'
        $record.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::PermissionDenied)
        $record.TargetObject | Should -Be $denied
    }

    It 'UnsupportedPlatform for -Engine Epoll off Linux' {
        if ($IsLinux) {
            Set-ItResult -Skipped -Because 'the epoll engine is supported on Linux; this error can only occur on other platforms'
        }

        $record = Get-StartError { Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $echo.EndPoint -Engine Epoll }

        $record.FullyQualifiedErrorId | Should -Be 'UnsupportedPlatform,ZeroCopyPS.StartZeroCopyProxyCommand'
        $record.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::NotImplemented)
    }

    It 'ProxyNameInUse while a proxy with that name runs, and the name is free again once it stopped' {
        $first = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'taken-name'

        $record = Get-StartError { Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'TAKEN-name' }

        $record.FullyQualifiedErrorId | Should -Be 'ProxyNameInUse,ZeroCopyPS.StartZeroCopyProxyCommand'
        $record.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ResourceExists)
        $record.TargetObject | Should -Be 'TAKEN-name'

        Stop-Job $first
        $again = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name 'taken-name'
        $again.JobStateInfo.State | Should -Be ([System.Management.Automation.JobState]::Running)
    }

    It 'names the parameter in the message of an engine start failure, keeping id and recommendation' {
        $record = Get-StartError { Start-ZeroCopyProxy -Listen 192.0.2.1:0 -Target $echo.EndPoint }

        $record.ErrorDetails.Message | Should -BeExactly "Cannot listen on -Listen '192.0.2.1:0': no local interface has that address."
        $record.Exception.Message | Should -BeExactly "Cannot listen on '192.0.2.1:0': no local interface has that address." -Because 'the engine''s exception is kept as it is'
        $record.ErrorDetails.RecommendedAction | Should -Match 'ip addr'
    }

    # The cmdlet's attributes enforce the engine's limits (ProxyOptionLimits) at binding time, so no value
    # typed at the prompt reaches the engine's own check, and -Engine Epoll only fails off Linux: the
    # mapping of those two failures is driven here directly, with the engine's real exceptions.
    It 'maps <Option> = <Value> (InvalidOptions) to a message that names <Expected>' -ForEach @(
        @{ Option = 'PipeSizeBytes'; Value = -1; Expected = '^-PipeSize must be between 0 and 268435456\.$' }
        @{ Option = 'MaxPipeMemoryBytes'; Value = [long]1; Expected = '^-MaxPipeMemory must be between 65536 and 68719476736\.$' }
        @{ Option = 'BufferSizeBytes'; Value = 1; Expected = '^-BufferSize must be between 1024 and 16777216\.$' }
        @{ Option = 'MaxConnections'; Value = 0; Expected = '^-MaxConnections must be between 1 and 1000000\.$' }
        @{ Option = 'ConnectTimeout'; Value = [TimeSpan]::Zero; Expected = '^-ConnectTimeout must be greater than zero\.$' }
        @{ Option = 'AutoSpliceThresholdBytes'; Value = 0; Expected = '^AutoSpliceThresholdBytes must be between' }
    ) {
        $options = [ZeroCopyPS.Engine.ProxyOptions]::new(
            [ZeroCopyPS.Engine.ProxyEndpoint[]]@([ZeroCopyPS.Engine.ProxyEndpoint]::Parse('127.0.0.1:0')), [ZeroCopyPS.Engine.ProxyEndpoint]::Parse('127.0.0.1:1'))
        $options.GetType().GetProperty($Option).SetValue($options, $Value)   # init-only: reflection sets it
        $invalid = $null
        try { $options.Validate() } catch { $invalid = $_.Exception.InnerException }
        $invalid | Should -BeOfType ([ArgumentOutOfRangeException])
        # What ProxyServer.Start throws for it.
        $failure = [ZeroCopyPS.Engine.ProxyStartException]::new('InvalidOptions', $options.Name, $invalid.Message, $invalid)

        $record = Get-StartErrorRecord $failure $options

        $record.FullyQualifiedErrorId | Should -Be 'InvalidProxyOptions'
        $record.ErrorDetails.Message | Should -Match $Expected
    }

    It 'names -Engine in an UnsupportedPlatform message, whatever the engine wrote' {
        $options = [ZeroCopyPS.Engine.ProxyOptions]::new(
            [ZeroCopyPS.Engine.ProxyEndpoint[]]@([ZeroCopyPS.Engine.ProxyEndpoint]::Parse('127.0.0.1:0')), [ZeroCopyPS.Engine.ProxyEndpoint]::Parse('127.0.0.1:1'))
        $options.GetType().GetProperty('Engine').SetValue($options, [ZeroCopyPS.Engine.EngineKind]::Epoll)
        $failure = [ZeroCopyPS.Engine.ProxyStartException]::new('UnsupportedPlatform', $options.Name, 'The epoll/splice engine needs Linux.')

        $record = Get-StartErrorRecord $failure $options

        $record.FullyQualifiedErrorId | Should -Be 'UnsupportedPlatform'
        $record.ErrorDetails.Message | Should -BeExactly '-Engine Epoll: The epoll/splice engine needs Linux.'
        $record.ErrorDetails.RecommendedAction | Should -Match 'Managed'
    }

    It 'rejects -<Parameter> <Value> at binding time' -ForEach @(
        @{ Parameter = 'BufferSize'; Value = 100 }
        @{ Parameter = 'BufferSize'; Value = '32MiB' }
        @{ Parameter = 'PipeSize'; Value = -1 }
        @{ Parameter = 'EventLoopCount'; Value = 257 }
        @{ Parameter = 'MaxConnections'; Value = 0 }
        @{ Parameter = 'MaxPipes'; Value = 0 }
        @{ Parameter = 'HistoryLimit'; Value = -1 }
        @{ Parameter = 'ConnectTimeout'; Value = 0 }
        @{ Parameter = 'IdleTimeout'; Value = -1 }
        @{ Parameter = 'DrainTimeout'; Value = '-00:00:01' }
        @{ Parameter = 'PipeSize'; Value = 4GB }
        @{ Parameter = 'MaxPipeMemory'; Value = '1KiB' }
        @{ Parameter = 'MaxPipeMemory'; Value = 128GB }
        @{ Parameter = 'BufferSize'; Value = 4GB }
    ) {
        $arguments = @{ Listen = '127.0.0.1:0'; Target = $echo.EndPoint; $Parameter = $Value }

        $record = Get-StartError { Start-ZeroCopyProxy @arguments }

        $record.FullyQualifiedErrorId | Should -Be 'ParameterArgumentValidationError,ZeroCopyPS.StartZeroCopyProxyCommand'
    }
}

Describe 'Connection errors on a running proxy' {
    AfterEach { Remove-TestProxyJob }

    It 'reports TargetConnectFailed for a closed target and keeps serving' {
        $targetPort = Get-TestClosedPort
        $job = Start-ZeroCopyProxy 127.0.0.1:0 "127.0.0.1:$targetPort" -Name 'no-target' -ConnectTimeout 5
        $port = Get-TestListenPort $job

        $failed = Invoke-TestExchange -Port $port -Bytes 100
        $failed.BytesReceived | Should -Be 0
        Wait-TestCondition { $job.Output.Count -ge 1 -and $job.Error.Count -ge 1 } -Because 'the failed connection to be reported'

        $stats = @(Receive-Job $job -ErrorAction SilentlyContinue -ErrorVariable connectErrors)

        $stats | Should -HaveCount 1
        $stats[0].CloseReason | Should -Be ([ZeroCopyPS.Engine.CloseReason]::ConnectFailed)
        $stats[0].Error | Should -Not -BeNullOrEmpty
        $stats[0].BytesTargetToClient | Should -Be 0
        $connectErrors | Should -HaveCount 1
        $connectErrors[0].FullyQualifiedErrorId | Should -Be 'TargetConnectFailed'
        $connectErrors[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ConnectionError)
        [object]::ReferenceEquals($connectErrors[0].TargetObject, $stats[0]) | Should -BeTrue
        $connectErrors[0].Exception.Message | Should -Match ([regex]::Escape("127.0.0.1:$targetPort"))
        $job.JobStateInfo.State | Should -Be ([System.Management.Automation.JobState]::Running)
        (Get-ZeroCopyProxy -Name 'no-target').FailedConnections | Should -Be 1

        # The same proxy serves the next connection once the target is up.
        $lateTarget = New-TestEchoServer -Port $targetPort
        try {
            $served = Invoke-TestExchange -Port $port -Bytes 2500
            $served.EchoMatches | Should -BeTrue
            Wait-TestCondition { $job.Output.Count -ge 1 } -Because 'the second connection''s statistics'
            $next = @(Receive-Job $job)
            $next[0].ConnectionId | Should -Be 2
            $next[0].CloseReason | Should -Be ([ZeroCopyPS.Engine.CloseReason]::ClientClosed)
            $next[0].BytesTargetToClient | Should -Be 2500
        }
        finally {
            $lateTarget.Dispose()
        }
    }

    It 'reports ConnectionReset when the client aborts with a reset, and keeps serving' {
        $sink = New-TestSinkServer
        try {
            $job = Start-ZeroCopyProxy 127.0.0.1:0 $sink.EndPoint -Name 'reset-proxy'
            $port = Get-TestListenPort $job
            $client = Open-TestIdleConnection -Port $port
            try {
                $null = $client.Send([byte[]]::new(1000))
                Wait-TestCondition { $sink.BytesReceived -ge 1000 } -Because 'the bytes to reach the target before the reset'
                # Linger 0: close sends RST instead of FIN.
                $client.LingerState = [System.Net.Sockets.LingerOption]::new($true, 0)
            }
            finally {
                $client.Dispose()
            }
            Wait-TestCondition { $job.Output.Count -ge 1 -and $job.Error.Count -ge 1 } -Because 'the reset connection to be reported'

            $stats = @(Receive-Job $job -ErrorAction SilentlyContinue -ErrorVariable resetErrors)

            $stats[0].CloseReason | Should -Be ([ZeroCopyPS.Engine.CloseReason]::Reset)
            $stats[0].BytesClientToTarget | Should -Be 1000
            $stats[0].Error | Should -Not -BeNullOrEmpty
            $resetErrors | Should -HaveCount 1
            $resetErrors[0].FullyQualifiedErrorId | Should -Be 'ConnectionReset'
            $resetErrors[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ConnectionError)
            [object]::ReferenceEquals($resetErrors[0].TargetObject, $stats[0]) | Should -BeTrue
            $job.JobStateInfo.State | Should -Be ([System.Management.Automation.JobState]::Running)
            $null = Invoke-TestExchange -Port $port -Bytes 300
            Wait-TestCondition { $sink.BytesReceived -ge 1300 } -Because 'the next connection to be served'
        }
        finally {
            $sink.Dispose()
        }
    }

    It 'bounds kept error records by -HistoryLimit as well' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 "127.0.0.1:$(Get-TestClosedPort)" -HistoryLimit 1
        $port = Get-TestListenPort $job
        foreach ($i in 1..3) {
            $null = Invoke-TestExchange -Port $port -Bytes 1
            Wait-TestCondition { ($job.Error.Count + $job.DroppedErrorCount) -ge $i } -Because "the error of connection $i"
        }

        $job.Error.Count | Should -Be 1
        $job.DroppedErrorCount | Should -Be 2
        $job.Error[0].TargetObject.ConnectionId | Should -Be 3
    }
}
