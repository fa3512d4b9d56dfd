# The module's PowerShell surface: exported cmdlets, per-set output types, ShouldProcess,
# argument transformation, formatting views and tab completion.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Import-TestModule
}

AfterAll {
    Remove-TestProxyJob
}

Describe 'ZeroCopyPS cmdlets' {
    It 'exports <Name>' -ForEach @(
        @{ Name = 'Start-ZeroCopyProxy' }
        @{ Name = 'Get-ZeroCopyProxy' }
        @{ Name = 'Stop-ZeroCopyProxy' }
        @{ Name = 'Set-ZeroCopyProxy' }
        @{ Name = 'Get-ZeroCopyConnection' }
        @{ Name = 'Stop-ZeroCopyConnection' }
    ) {
        $command = Get-Command $Name -Module ZeroCopyPS -ErrorAction SilentlyContinue
        $command | Should -Not -BeNullOrEmpty
        $command.CommandType | Should -Be 'Cmdlet'
    }

    It 'declares the output type of each Start-ZeroCopyProxy parameter set' {
        $types = (Get-Command Start-ZeroCopyProxy).ImplementingType.GetCustomAttributes([System.Management.Automation.OutputTypeAttribute], $false)
        $bySet = @{}
        foreach ($attribute in $types) {
            foreach ($set in $attribute.ParameterSetName) { $bySet[$set] = $attribute.Type.Name }
        }

        $bySet['Job'] | Should -Be 'ZeroCopyPS.ZeroCopyProxyJob'
        $bySet['Wait'] | Should -Be 'ZeroCopyPS.Engine.ConnectionStatistics'
        (Get-Command Start-ZeroCopyProxy).DefaultParameterSet | Should -Be 'Job'
    }

    It 'declares the output types of Get- and Stop-ZeroCopyProxy' {
        (Get-Command Get-ZeroCopyProxy).OutputType.Name | Should -Be 'ZeroCopyPS.ZeroCopyProxyStatus'
        (Get-Command Stop-ZeroCopyProxy).OutputType.Name | Should -Be 'ZeroCopyPS.ZeroCopyProxyJob'
    }

    It 'Stop-ZeroCopyProxy supports -WhatIf/-Confirm with medium impact' {
        $command = Get-Command Stop-ZeroCopyProxy
        $command.Parameters.Keys | Should -Contain 'WhatIf'
        $command.Parameters.Keys | Should -Contain 'Confirm'
        $cmdlet = $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
        $cmdlet.ConfirmImpact | Should -Be ([System.Management.Automation.ConfirmImpact]::Medium)
    }

    It '<Name> supports -WhatIf/-Confirm with medium impact' -ForEach @(@{ Name = 'Set-ZeroCopyProxy' }, @{ Name = 'Stop-ZeroCopyConnection' }) {
        $command = Get-Command $Name
        $command.Parameters.Keys | Should -Contain 'WhatIf'
        $cmdlet = $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
        $cmdlet.ConfirmImpact | Should -Be ([System.Management.Automation.ConfirmImpact]::Medium)
    }

    It 'Stop-ZeroCopyProxy binds -Id by property name and -InputObject from the pipeline' {
        $parameters = (Get-Command Stop-ZeroCopyProxy).Parameters
        ($parameters['Id'].ParameterSets.Values | Where-Object ValueFromPipelineByPropertyName) | Should -Not -BeNullOrEmpty
        ($parameters['InputObject'].ParameterSets.Values | Where-Object ValueFromPipeline) | Should -Not -BeNullOrEmpty
        $parameters['InputObject'].ParameterType | Should -Be ([System.Management.Automation.Job[]])
    }

    It 'reads a -<Parameter> of <Value> as <Expected>' -ForEach @(
        @{ Parameter = 'IdleTimeout'; Value = 30; Expected = '00:00:30' }
        @{ Parameter = 'ConnectTimeout'; Value = 1.5; Expected = '00:00:01.5000000' }
        @{ Parameter = 'DrainTimeout'; Value = '45'; Expected = '00:00:45' }
        @{ Parameter = 'HalfCloseTimeout'; Value = '00:02:00'; Expected = '00:02:00' }
        @{ Parameter = 'IdleTimeout'; Value = [TimeSpan]::FromMinutes(90); Expected = '01:30:00' }
    ) {
        $transform = (Get-Command Start-ZeroCopyProxy).Parameters[$Parameter].Attributes |
            Where-Object { $_ -is [System.Management.Automation.ArgumentTransformationAttribute] }

        $transform.Transform($ExecutionContext, $Value) | Should -Be ([TimeSpan]::Parse($Expected))
    }

    It 'rejects a timeout that is neither seconds nor a TimeSpan' {
        $record = $null
        try { Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target 127.0.0.1:9 -IdleTimeout 'soon' } catch { $record = $_ }

        $record.FullyQualifiedErrorId | Should -Be 'ParameterArgumentTransformationError,ZeroCopyPS.StartZeroCopyProxyCommand'
    }

    It 'applies a plain number as seconds: -IdleTimeout 1 closes an idle connection after about a second' {
        $echo = New-TestEchoServer
        try {
            $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -IdleTimeout 1
            $idle = Open-TestIdleConnection -Port (Get-TestListenPort $job)
            try {
                Wait-TestCondition { $job.Output.Count -ge 1 } -TimeoutSeconds 10 -Because 'the idle timeout to close the connection'
            }
            finally {
                $idle.Dispose()
            }

            $stats = @(Receive-Job $job)
            $stats[0].CloseReason | Should -Be ([ZeroCopyPS.Engine.CloseReason]::IdleTimeout)
            $stats[0].Duration.TotalSeconds | Should -BeGreaterOrEqual 0.9
            $stats[0].Duration.TotalSeconds | Should -BeLessThan 5
        }
        finally {
            Remove-TestProxyJob
            $echo.Dispose()
        }
    }
}

Describe 'ZeroCopyPS formatting' {
    It 'has a table and a list view for <TypeName>' -ForEach @(
        @{ TypeName = 'ZeroCopyPS.ZeroCopyProxyStatus' }
        @{ TypeName = 'ZeroCopyPS.Engine.ConnectionStatistics' }
    ) {
        $controls = (Get-FormatData -TypeName $TypeName).FormatViewDefinition.Control | ForEach-Object { $_.GetType().Name }
        $controls | Should -Contain 'TableControl'
        $controls | Should -Contain 'ListControl'
    }

    It 'has no view of its own for ZeroCopyProxyJob, so PowerShell shows it as a job' {
        Get-FormatData -TypeName 'ZeroCopyPS.ZeroCopyProxyJob' | Should -BeNullOrEmpty
    }

    It 'shows a proxy job with its listen endpoint (Location) and target (Command)' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 127.0.0.1:9 -Name 'format-job'
        try {
            $text = $job | Out-String -Width 200
            $text | Should -Match 'Id\s+Name\s+PSJobTypeName\s+State\s+HasMoreData\s+Location\s+Command'
            $text | Should -Match ('format-job\s+ZeroCopyProxy\s+Running\s+False\s+' + [regex]::Escape($job.ListenEndPoints[0]) + '\s+-> 127\.0\.0\.1:9')
        }
        finally {
            $job | Remove-Job -Force
        }
    }

    It 'shows connection statistics with the proxy name, readable durations and byte sizes' {
        $echo = New-TestEchoServer
        try {
            $job = Start-ZeroCopyProxy 127.0.0.1:0 $echo.EndPoint -Name fmt
            $null = Invoke-TestExchange -Port (Get-TestListenPort $job) -Bytes 123456
            Wait-TestCondition { $job.Output.Count -ge 1 } -Because 'the connection to close'

            $text = Receive-Job $job | Out-String -Width 200

            $text | Should -Match 'Proxy\s+Id\s+Client\s+Duration\s+ToTarget\s+ToClient\s+CopyPath\s+CloseReason'
            # 123456 B = 120.6 KiB each way; the duration carries its unit.
            $text | Should -Match 'fmt\s+1\s+127\.0\.0\.1:\d+\s+[\d.,]+ (µs|ms|s)\s+120\.6 KiB\s+120\.6 KiB\s+\w+\s+ClientClosed'
        }
        finally {
            Remove-TestProxyJob
            $echo.Dispose()
        }
    }
}

Describe 'ZeroCopyPS tab completion' {
    BeforeAll {
        $script:running = Start-ZeroCopyProxy 127.0.0.1:0 127.0.0.1:9 -Name 'complete me'
        $script:stopped = Start-ZeroCopyProxy 127.0.0.1:0 127.0.0.1:9 -Name 'complete-stopped'
        Stop-Job $script:stopped
    }

    AfterAll { Remove-TestProxyJob }

    It 'completes -Name of Get-ZeroCopyProxy with every proxy, quoting names with spaces' {
        $completions = (TabExpansion2 -inputScript 'Get-ZeroCopyProxy -Name compl' -cursorColumn 29).CompletionMatches

        $completions.CompletionText | Should -Be @("'complete me'", 'complete-stopped')
    }

    It 'completes -Name of Stop-ZeroCopyProxy with running proxies only' {
        $completions = (TabExpansion2 -inputScript 'Stop-ZeroCopyProxy compl' -cursorColumn 24).CompletionMatches

        $completions.CompletionText | Should -Be @("'complete me'")
    }

    It 'completes -Id with the job ids of proxies' {
        $completions = (TabExpansion2 -inputScript 'Stop-ZeroCopyProxy -Id ' -cursorColumn 23).CompletionMatches

        $completions.CompletionText | Should -Contain ([string]$running.Id)
        $completions.CompletionText | Should -Not -Contain ([string]$stopped.Id)
    }

    It 'completes <Line> with <Expected>' -ForEach @(
        @{ Line = 'Get-ZeroCopyConnection -ProxyName compl'; Expected = @("'complete me'", 'complete-stopped') }
        @{ Line = 'Stop-ZeroCopyConnection -ProxyName compl'; Expected = @("'complete me'") }
        @{ Line = 'Set-ZeroCopyProxy -Name compl'; Expected = @("'complete me'") }
        @{ Line = 'Start-ZeroCopyProxy -Balance '; Expected = @('RoundRobin', 'LeastConnections', 'SourceHash', 'First') }
        @{ Line = 'Start-ZeroCopyProxy -SendProxyProtocol '; Expected = @('None', 'V1', 'V2') }
    ) {
        # Enum values come sorted by name; proxies by job id.
        $completions = (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText
        if ($Line -like '*-Balance *') { $Expected = $Expected | Sort-Object }
        $completions | Should -Be $Expected
    }

    It 'offers no file names for -<Parameter>' -ForEach @(
        @{ Parameter = 'Target'; Line = 'Start-ZeroCopyProxy -Listen 8080 -Target ' }
        @{ Parameter = 'Listen'; Line = 'Start-ZeroCopyProxy -Listen ' }
    ) {
        # In a folder full of files, so that default (file name) completion would have something to offer.
        Push-Location -LiteralPath $PSScriptRoot
        try {
            $result = TabExpansion2 -inputScript $Line -cursorColumn $Line.Length
        }
        finally {
            Pop-Location
        }

        $result.CompletionMatches | Should -HaveCount 0
    }
}

Describe 'ZeroCopyPS jobs among other jobs' {
    It 'records every option the proxy was started with in the job Command' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 127.0.0.1:9 -Name 'cmdline' -CopyMode Splice -IdleTimeout 90 -MaxConnections 7
        try {
            $job.Command | Should -Match '^-> 127\.0\.0\.1:9 '
            $job.Command | Should -Not -Match '-Name|-Listen|-Target' -Because 'the name and the listen side are shown beside it'
            $job.Command | Should -Match '-CopyMode Splice'
            $job.Command | Should -Match '-MaxConnections 7'
            $job.Command | Should -Match '-IdleTimeout 00:01:30'
        }
        finally {
            $job | Remove-Job -Force
        }
    }

    It 'passes over a job that is not a proxy with NotAProxyJob and stops the proxies' {
        $other = Start-ThreadJob -ScriptBlock { Start-Sleep -Seconds 30 } -Name 'not-a-proxy'
        $proxy = Start-ZeroCopyProxy 127.0.0.1:0 127.0.0.1:9 -Name 'among-others'
        try {
            Get-Job -Name 'not-a-proxy', 'among-others' | Stop-ZeroCopyProxy -ErrorVariable stopErrors -ErrorAction SilentlyContinue
            $proxy.State | Should -Be 'Stopped'
            $other.State | Should -BeIn 'NotStarted', 'Running'  # left alone, whatever its scheduling
            $stopErrors.Count | Should -Be 1
            $stopErrors[0].FullyQualifiedErrorId | Should -BeLike 'NotAProxyJob,*'
            $stopErrors[0].Exception.Message | Should -Match "Job $($other.Id) \('not-a-proxy'"
        }
        finally {
            $other | Remove-Job -Force
            $proxy | Remove-Job -Force
        }
    }
}

Describe 'ZeroCopyPS proxy names with wildcard characters' {
    It 'refuses a name that is a pattern, so that -Name ''web[12]'' can only be one' {
        { Start-ZeroCopyProxy 127.0.0.1:0 127.0.0.1:9 -Name 'web[1]' } | Should -Throw -ErrorId 'InvalidProxyName,ZeroCopyPS.StartZeroCopyProxyCommand'
        $jobs = @(Start-ZeroCopyProxy 127.0.0.1:0 127.0.0.1:9 -Name 'web1'; Start-ZeroCopyProxy 127.0.0.1:0 127.0.0.1:9 -Name 'web2')
        try {
            @(Get-ZeroCopyProxy -Name 'web[12]').Id | Should -Be $jobs.Id
            Stop-ZeroCopyProxy -Name 'web[1]'
            @($jobs.State) | Should -Be @('Stopped', 'Running')
        }
        finally {
            $jobs | Remove-Job -Force
        }
    }
}

Describe 'ZeroCopyPS measurement views' {
    It 'shows an endpoint measurement as a table with readable sizes and microseconds' {
        $echo = New-TestEchoServer
        try {
            $text = Measure-SocketCopy -Endpoint $echo.EndPoint -BulkSize 1MB -RoundTrips 20 | Out-String -Width 200
            $text | Should -Match 'Endpoint\s+Bulk\s+MB/s\s+Gbit/s\s+Msg\s+RoundTrips\s+p50 µs\s+p99 µs\s+Connect'
            $text | Should -Match '127\.0\.0\.1:\d+\s+1\.0 MiB\s+[\d.,]+\s+[\d.,]+\s+64\s+20\s'
        }
        finally {
            $echo.Dispose()
        }
    }

    It 'lists every field of a copy measurement with Format-List' {
        $text = Measure-SocketCopy -Size 64KB -Iterations 3 -Mode Buffered | Format-List | Out-String -Width 200
        foreach ($field in 'Mode', 'Transport', 'SizeBytes', 'Iterations', 'Status', 'NanosecondsPerCopy', 'P99Time',
            'ThroughputMBps', 'AllocatedBytesPerCopy', 'SyscallsPerCopy', 'CpuTimePerCopy', 'SpeedupOverBuffered') {
            $text | Should -Match "(?m)^$field\s+:"
        }
    }
}

Describe 'Get-ZeroCopyProxy among other jobs' {
    It 'reports the proxies piped from Get-Job and passes over other jobs with NotAProxyJob' {
        $other = Start-ThreadJob -ScriptBlock { Start-Sleep -Seconds 30 } -Name 'not-a-proxy-either'
        $proxy = Start-ZeroCopyProxy 127.0.0.1:0 127.0.0.1:9 -Name 'seen-via-get-job'
        try {
            $status = Get-Job -Name 'not-a-proxy-either', 'seen-via-get-job' | Get-ZeroCopyProxy -ErrorVariable getErrors -ErrorAction SilentlyContinue
            @($status).Count | Should -Be 1
            $status.Name | Should -Be 'seen-via-get-job'
            $getErrors.Count | Should -Be 1
            $getErrors[0].FullyQualifiedErrorId | Should -BeLike 'NotAProxyJob,*'
        }
        finally {
            $other | Remove-Job -Force
            $proxy | Remove-Job -Force
        }
    }
}
