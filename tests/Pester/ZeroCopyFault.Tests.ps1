# Add-, Get-, Remove-ZeroCopyFault and Start-ZeroCopyProxy -Fault: the cmdlets' surface (binding, -WhatIf, the
# pipeline, completion, views, error ids) and, end to end over loopback, what a fault does to a connection.
# Bad values of every parameter are in ZeroCopyProxy.BadInput.Faults.Tests.ps1.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Import-TestModule
    $script:echo = New-TestEchoServer

    function New-FaultProxy([string] $Name, $Fault) {
        $arguments = @{ Listen = '127.0.0.1:0'; Target = $script:echo.Endpoint; Name = $Name; WarningAction = 'SilentlyContinue' }
        if ($Fault) { $arguments.Fault = $Fault }
        Start-ZeroCopyProxy @arguments
    }

    # What a call refused: the record of its first error, terminating or not.
    function Get-FaultError([scriptblock] $Call) {
        # 'Continue' so that Pester's 'Stop' does not turn a non-terminating error into a terminating one.
        $ErrorActionPreference = 'Continue'
        try { $output = & $Call 2>&1 } catch { return $_ }
        $output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | Select-Object -First 1
    }
}

AfterAll {
    Remove-TestProxyJob
    if ($script:echo) { $script:echo.Dispose() }
}

Describe 'Add-, Get- and Remove-ZeroCopyFault' {
    BeforeEach { $proxy = New-FaultProxy 'faulty' }
    AfterEach { $proxy | Remove-Job -Force }

    It 'exports <Name> with the right impact and output type' -ForEach @(
        @{ Name = 'Add-ZeroCopyFault'; Output = 'ZeroCopyPS.Engine.ProxyFault' }
        @{ Name = 'Get-ZeroCopyFault'; Output = 'ZeroCopyPS.Engine.ProxyFault' }
        @{ Name = 'Remove-ZeroCopyFault'; Output = $null }
    ) {
        $command = Get-Command $Name -Module ZeroCopyPS
        $command.CommandType | Should -Be 'Cmdlet'
        @($command.OutputType | ForEach-Object { $_.Name }) | Where-Object { $_ } | Should -Be $Output
        if ($Name -ne 'Get-ZeroCopyFault') {
            $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'Low'
        }
    }

    It 'adds, lists and removes a fault of each kind, with the default names' {
        Add-ZeroCopyFault faulty Latency -Delay 200ms -Jitter 20ms -Direction ToClient
        Add-ZeroCopyFault faulty Bandwidth -BytesPerSecond 10MB -Direction ToTarget
        Add-ZeroCopyFault faulty Stall -CloseAfter 5
        Add-ZeroCopyFault faulty ResetAfter -Bytes '1MiB' -After '1.5s' -Probability 0.5
        Add-ZeroCopyFault faulty LimitData -Bytes 1KB
        Add-ZeroCopyFault faulty SlowClose -Delay '00:00:02'
        Add-ZeroCopyFault faulty Slice -AverageSize 100 -SizeVariation 10 -Delay 1ms

        $faults = @(Get-ZeroCopyFault -ProxyName faulty)
        $faults.Name | Should -Be @('latency_toclient', 'bandwidth_totarget', 'stall_both', 'resetafter_both', 'limitdata_both', 'slowclose_both', 'slice_both')
        $faults.ProxyName | Sort-Object -Unique | Should -Be 'faulty'
        $faults[0].Delay | Should -Be ([TimeSpan]::FromMilliseconds(200))
        $faults[0].Jitter | Should -Be ([TimeSpan]::FromMilliseconds(20))
        $faults[1].BytesPerSecond | Should -Be 10MB
        $faults[2].CloseAfter | Should -Be ([TimeSpan]::FromSeconds(5))
        $faults[3].Bytes, $faults[3].After, $faults[3].Probability | Should -Be @(1MB, [TimeSpan]::FromSeconds(1.5), 0.5)
        $faults[5].Delay | Should -Be ([TimeSpan]::FromSeconds(2))
        $faults[6].AverageSizeBytes, $faults[6].SizeVariationBytes | Should -Be @(100, 10)

        Remove-ZeroCopyFault faulty 'l*', stall_both
        (Get-ZeroCopyFault faulty).Name | Should -Be @('bandwidth_totarget', 'resetafter_both', 'slowclose_both', 'slice_both')
        Get-ZeroCopyFault faulty | Remove-ZeroCopyFault
        Get-ZeroCopyFault faulty | Should -BeNullOrEmpty
    }

    It 'makes a default name unique and refuses a given name in use' {
        1..3 | ForEach-Object { Add-ZeroCopyFault faulty Stall }
        (Get-ZeroCopyFault faulty).Name | Should -Be @('stall_both', 'stall_both_2', 'stall_both_3')

        $record = Get-FaultError { Add-ZeroCopyFault faulty Stall -Name 'STALL_BOTH' }
        $record.FullyQualifiedErrorId | Should -Be 'FaultNameInUse,ZeroCopyPS.AddZeroCopyFaultCommand'
        @(Get-ZeroCopyFault faulty).Count | Should -Be 3
    }

    It 'writes the fault as the proxy stored it with -PassThru, and nothing without' {
        Add-ZeroCopyFault faulty Stall | Should -BeNullOrEmpty
        $added = Add-ZeroCopyFault faulty Latency -Delay 0.05 -Name slow -PassThru
        $added | Should -BeOfType ([ZeroCopyPS.Engine.ProxyFault])
        $added.ProxyName, $added.Name, $added.Kind | Should -Be @('faulty', 'slow', 'Latency')
        $added.Settings | Should -Be 'Delay 50.0 ms'
        $added.ToString() | Should -Be 'slow: Latency Both, Delay 50.0 ms' -Because 'ZeroCopyPS.types.ps1xml gives it a readable ToString'
    }

    It 'changes nothing with -WhatIf' {
        Add-ZeroCopyFault faulty Stall -WhatIf
        Get-ZeroCopyFault faulty | Should -BeNullOrEmpty

        Add-ZeroCopyFault faulty Stall
        Get-ZeroCopyFault faulty | Remove-ZeroCopyFault -WhatIf
        Remove-ZeroCopyFault faulty * -WhatIf
        (Get-ZeroCopyFault faulty).Name | Should -Be 'stall_both'
    }

    It 'binds -ProxyName from Get-ZeroCopyProxy, the proxy job and Get-ZeroCopyFault output' {
        Get-ZeroCopyProxy faulty | Add-ZeroCopyFault -Type Stall -Name from-status
        $proxy | Add-ZeroCopyFault -Type Stall -Name from-job
        (Get-ZeroCopyProxy faulty | Get-ZeroCopyFault).Name | Should -Be @('from-status', 'from-job')

        Get-ZeroCopyFault faulty from-job | Remove-ZeroCopyFault
        (Get-ZeroCopyFault faulty).Name | Should -Be 'from-status'
    }

    It 'adds to every proxy a wildcard matches, and lists and removes across them' {
        $other = New-FaultProxy 'faulty-2'
        try {
            Add-ZeroCopyFault 'faulty*' Latency -Delay 1 -PassThru | ForEach-Object ProxyName | Should -Be @('faulty', 'faulty-2')
            (Get-ZeroCopyFault -Name latency_both).ProxyName | Should -Be @('faulty', 'faulty-2')
            Remove-ZeroCopyFault 'faulty*' latency_both
            Get-ZeroCopyFault | Should -BeNullOrEmpty
        }
        finally { $other | Remove-Job -Force }
    }

    It 'lists the active faults in Get-ZeroCopyProxy, and in its list view' {
        Add-ZeroCopyFault faulty ResetAfter -Bytes 1MB -Name flaky
        $status = Get-ZeroCopyProxy faulty
        $status.Faults.Name | Should -Be 'flaky'
        $status.ProxyName | Should -Be 'faulty'
        ($status | Format-List | Out-String) | Should -Match 'Faults\s+: flaky: ResetAfter Both, after 1\.0 MiB'
        (Get-ZeroCopyFault | Format-Table | Out-String -Width 120) | Should -Match '(?m)^ProxyName\s+Name\s+Kind\s+Direction\s+Probability\s+Settings\s*$'
    }

    It 'reports <Id> for <Case>' -ForEach @(
        @{ Case = 'a setting of another kind'; Id = 'FaultParameterNotForKind,ZeroCopyPS.AddZeroCopyFaultCommand'; Call = { Add-ZeroCopyFault faulty Latency -Delay 1 -Bytes 5 } }
        @{ Case = 'Latency without -Delay'; Id = 'InvalidFaultSetting,ZeroCopyPS.AddZeroCopyFaultCommand'; Call = { Add-ZeroCopyFault faulty Latency } }
        @{ Case = 'a fault name not there'; Id = 'FaultNotFound,ZeroCopyPS.RemoveZeroCopyFaultCommand'; Call = { Remove-ZeroCopyFault faulty nope } }
        @{ Case = 'a fault name nowhere'; Id = 'FaultNotFound,ZeroCopyPS.GetZeroCopyFaultCommand'; Call = { Get-ZeroCopyFault -Name nope } }
        @{ Case = 'a proxy name not there'; Id = 'ProxyNotFound,ZeroCopyPS.AddZeroCopyFaultCommand'; Call = { Add-ZeroCopyFault nope Stall } }
    ) {
        (Get-FaultError $Call).FullyQualifiedErrorId | Should -Be $Id
        Get-ZeroCopyFault faulty | Should -BeNullOrEmpty
    }

    It 'refuses to change a stopped proxy with ProxyNotRunning' {
        Stop-ZeroCopyProxy faulty -Force
        (Get-FaultError { Add-ZeroCopyFault faulty Stall }).FullyQualifiedErrorId | Should -Be 'ProxyNotRunning,ZeroCopyPS.AddZeroCopyFaultCommand'
        (Get-FaultError { Remove-ZeroCopyFault faulty x }).FullyQualifiedErrorId | Should -Be 'ProxyNotRunning,ZeroCopyPS.RemoveZeroCopyFaultCommand'
        Get-ZeroCopyFault faulty | Should -BeNullOrEmpty
    }

    It 'completes <Line> with <Expected>' -ForEach @(
        @{ Line = 'Add-ZeroCopyFault -ProxyName faul'; Expected = @('faulty') }
        @{ Line = 'Add-ZeroCopyFault faulty -Type Re'; Expected = @('ResetAfter') }
        @{ Line = 'Add-ZeroCopyFault faulty -Direction To'; Expected = @('ToClient', 'ToTarget') }
        @{ Line = 'Remove-ZeroCopyFault -ProxyName faulty -Name la'; Expected = @('late', 'later') }
        @{ Line = 'Get-ZeroCopyFault -Name late'; Expected = @('late', 'later') }
        @{ Line = 'Get-ZeroCopyFault -ProxyName nothing -Name la'; Expected = @() }
    ) {
        Add-ZeroCopyFault faulty Latency -Delay 1 -Name late
        Add-ZeroCopyFault faulty Latency -Delay 2 -Name later
        Add-ZeroCopyFault faulty Stall -Name stuck
        $completions = @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches | ForEach-Object { $_.CompletionText })
        $completions | Should -Be $Expected
    }
}

Describe 'Start-ZeroCopyProxy -Fault' {
    AfterEach { Remove-TestProxyJob }

    It 'starts with faults from hashtables, objects and Get-ZeroCopyFault output, in order, with default names' {
        $proxy = New-FaultProxy 'started' @(
            @{ Type = 'Latency'; Delay = '200ms'; Direction = 'ToClient' }
            [pscustomobject]@{ Kind = 'ResetAfter'; Bytes = '1MiB'; Probability = '0.25'; Name = 'flaky' }
            @{ type = 'stall'; closeafter = 2 }
            @{ Type = 'Latency'; Delay = 1; Direction = 'ToClient' })
        $faults = @(Get-ZeroCopyFault started)
        $faults.Name | Should -Be @('latency_toclient', 'flaky', 'stall_both', 'latency_toclient_2')
        $faults[0].Delay | Should -Be ([TimeSpan]::FromMilliseconds(200))
        $faults[1].Bytes, $faults[1].Probability | Should -Be @(1MB, 0.25)
        $faults[2].CloseAfter | Should -Be ([TimeSpan]::FromSeconds(2))
        (Get-ZeroCopyProxy started).Faults.Name | Should -Be $faults.Name

        $copy = New-FaultProxy 'copied' (Get-ZeroCopyFault started)
        $copied = @(Get-ZeroCopyFault copied)
        $copied.Name | Should -Be $faults.Name
        $copied.ProxyName | Sort-Object -Unique | Should -Be 'copied'
        $copied[1].Bytes | Should -Be 1MB
        $proxy, $copy | Should -Not -BeNullOrEmpty
    }

    It 'binds -Fault by property name' {
        $record = [pscustomobject]@{ Listen = '127.0.0.1:0'; Target = $script:echo.Endpoint; Name = 'piped'; Fault = @{ Type = 'Stall' } }
        $null = $record | Start-ZeroCopyProxy -WarningAction SilentlyContinue
        (Get-ZeroCopyFault piped).Name | Should -Be 'stall_both'
    }

    It 'starts nothing and reports <Id> naming <Named> for <Fault>' -ForEach @(
        @{ Fault = @{ Typo = 1 }; Id = 'InvalidFault'; Named = 'Typo' }
        @{ Fault = @{ Delay = 1 }; Id = 'InvalidFault'; Named = 'Type' }
        @{ Fault = @{ Type = 'Lag' }; Id = 'InvalidFault'; Named = 'Type' }
        @{ Fault = @{ Type = '2' }; Id = 'InvalidFault'; Named = 'Type' }
        @{ Fault = @{ Type = 'Stall'; Direction = 'Up' }; Id = 'InvalidFault'; Named = 'Direction' }
        @{ Fault = @{ Type = 'Stall'; Probability = 2 }; Id = 'InvalidFault'; Named = 'Probability' }
        @{ Fault = @{ Type = 'Stall'; Name = 5 }; Id = 'InvalidFault'; Named = 'Name' }
        @{ Fault = @{ Type = 'Latency'; Delay = 'soon' }; Id = 'InvalidFault'; Named = 'Delay' }
        @{ Fault = @{ Type = 'LimitData'; Bytes = 'lots' }; Id = 'InvalidFault'; Named = 'Bytes' }
        @{ Fault = 'Latency'; Id = 'InvalidFault'; Named = 'Fault' }
        @{ Fault = @{ Type = 'Latency'; Delay = 1; Bytes = 5 }; Id = 'FaultParameterNotForKind'; Named = 'Bytes' }
        @{ Fault = @{ Type = 'Latency'; Delay = 1; Jitter = 2 }; Id = 'InvalidFaultSetting'; Named = 'Jitter' }
        @{ Fault = @{ Type = 'Slice'; AverageSize = 0 }; Id = 'InvalidFaultSetting'; Named = 'AverageSize' }
        @{ Fault = @{ Type = 'Bandwidth' }; Id = 'InvalidFaultSetting'; Named = 'BytesPerSecond' }
        @{ Fault = @(@{ Type = 'Stall'; Name = 'x' }, @{ Type = 'Stall'; Name = 'X' }); Id = 'FaultNameInUse'; Named = 'Name' }
        @{ Fault = @(1..65 | ForEach-Object { @{ Type = 'Stall' } }); Id = 'TooManyFaults'; Named = 'Fault' }
        # A scriptblock, made at run time: the module's types are not loaded at discovery.
        @{ Fault = { [ZeroCopyPS.Engine.ProxyFault]@{ Name = 'made'; Kind = 'Slice'; AverageSizeBytes = 10; SizeVariationBytes = 10 } }; Id = 'InvalidFaultSetting'; Named = 'SizeVariation' }
    ) {
        $before = @(Get-Job).Count
        $value = if ($Fault -is [scriptblock]) { & $Fault } else { $Fault }
        $record = Get-FaultError { New-FaultProxy 'refused' $value }
        $record.FullyQualifiedErrorId | Should -Be "$Id,ZeroCopyPS.StartZeroCopyProxyCommand"
        "$($record.Exception.Message)" | Should -Match "-Fault"
        "$($record.Exception.Message)" | Should -Match "'$Named'|-$Named\b|\b$Named\b"
        @(Get-Job).Count | Should -Be $before
    }
}

Describe 'A fault on the wire' {
    AfterEach { Remove-TestProxyJob }

    It 'resets a download after -Bytes, both ways, and the record names the fault' {
        $source = [ZeroCopyPS.TestSupport.EndlessSource]::new()
        try {
            $proxy = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $source.EndPoint -Name download -WarningAction SilentlyContinue -Fault @{ Type = 'ResetAfter'; Bytes = 1MB; Direction = 'ToClient'; Name = 'cut' }
            $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', (Get-TestListenPort $proxy))
            $received = 0; $ended = $null
            try {
                $client.ReceiveTimeout = 10000
                $stream = $client.GetStream(); $buffer = [byte[]]::new(65536)
                # Bounded: the fault cuts it at 1 MiB; 64 MiB without a reset is a failure, not a hang.
                while ($received -lt 64MB) {
                    $n = $stream.Read($buffer, 0, $buffer.Length)
                    if ($n -eq 0) { $ended = 'EndOfStream'; break }
                    $received += $n
                }
            }
            catch { $ended = ($_.Exception.GetBaseException() -as [System.Net.Sockets.SocketException]).SocketErrorCode }
            finally { $client.Dispose() }

            "$ended" | Should -Be 'ConnectionReset'
            $received | Should -BeGreaterOrEqual 1MB
            $received | Should -BeLessOrEqual (1MB + 64KB)
            $source.SendEnded.Wait(10000) | Should -BeTrue
            $source.SendEnded.Result | Should -BeIn 'Reset', 'BrokenPipe'
            Wait-TestCondition { @(Receive-Job $proxy -Keep).Count -ge 1 } -Because 'the statistics record'
            $stats = @(Receive-Job $proxy)[0]
            $stats.Faults -join ',' | Should -Be 'cut'
            "$($stats.CloseReason)" | Should -Be 'FaultReset'
            $stats.BytesTargetToClient | Should -Be $received
            ($stats | Format-List | Out-String) | Should -Match 'Faults\s+: cut'
        }
        finally { $source.Dispose() }
    }

    It 'stalls an open connection when added, and lets it go when removed' {
        $proxy = New-FaultProxy 'live'
        $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', (Get-TestListenPort $proxy))
        try {
            $stream = $client.GetStream(); $buffer = [byte[]]::new(1024)
            $client.ReceiveTimeout = 5000
            $stream.Write([byte[]](1..64), 0, 64)
            $got = 0; while ($got -lt 64) { $got += $stream.Read($buffer, $got, 64 - $got) }   # echoed before the fault
            $got | Should -Be 64

            Add-ZeroCopyFault live Stall -Name hold
            $stream.Write([byte[]](1..64), 0, 64)
            $pending = $stream.ReadAsync($buffer, 0, 64)
            $pending.Wait(500) | Should -BeFalse -Because 'no byte moves while the Stall is in place'

            $clock = [Diagnostics.Stopwatch]::StartNew()
            Remove-ZeroCopyFault live hold
            $pending.Wait(5000) | Should -BeTrue
            $got = $pending.Result
            while ($got -lt 64) { $got += $stream.Read($buffer, $got, 64 - $got) }
            $got | Should -Be 64
            [byte[]]$buffer[0..63] | Should -Be ([byte[]](1..64))
            $clock.ElapsedMilliseconds | Should -BeLessThan 3000   # the cmdlet, the resumed relay and the echo, on a loaded machine
        }
        finally { $client.Dispose() }
        Stop-ZeroCopyProxy live
        (Receive-Job $proxy).Faults -join ',' | Should -Be 'hold'
    }
}
