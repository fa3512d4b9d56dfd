# Start-ZeroCopyProxy -Wait: the foreground mode streams each closed connection's statistics
# to the pipeline (and failed connections to the error stream) until it is stopped from outside,
# then closes its listeners. Each test runs it in its own PowerShell instance or thread job and
# stops it the way Ctrl+C or Stop-Job would.

BeforeAll {
    $script:echo = $null   # AfterAll runs even when this block fails half-way
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:manifest = Import-TestModule
    $script:echo = New-TestEchoServer

    # Starts `Start-ZeroCopyProxy -Wait` in a fresh runspace; returns the PowerShell, its output and the async handle.
    function Start-ForegroundProxy([int] $Port, [string] $Target) {
        # One statement only: stopping a multi-statement PowerShell adds a 'PipelineStopped' error record of its own.
        $sessionState = [initialsessionstate]::CreateDefault2()
        $sessionState.ImportPSModule($manifest)
        $ps = [powershell]::Create($sessionState)
        $null = $ps.AddCommand('Start-ZeroCopyProxy').
            AddParameter('Listen', "127.0.0.1:$Port").AddParameter('Target', $Target).AddParameter('Wait')
        $inputData = [System.Management.Automation.PSDataCollection[psobject]]::new()
        $inputData.Complete()
        $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
        $handle = $ps.BeginInvoke($inputData, $output)
        # The proxy is up once it reported listening (written after the listener is bound). Not a probe
        # connection: a probe that timed out on a loaded machine after the proxy accepted it would add a
        # record the test does not expect.
        Wait-TestCondition { @($ps.Streams.Information | Where-Object { "$($_.MessageData)" -like '*listening on*' }).Count -gt 0 -or
            $ps.InvocationStateInfo.State -notin 'NotStarted', 'Running' } -Because 'the foreground proxy to listen'
        if ($ps.InvocationStateInfo.State -ne 'Running') { throw "The foreground proxy ended early: $($ps.Streams.Error | Out-String)" }
        [pscustomobject]@{ PowerShell = $ps; Output = $output; Handle = $handle }
    }
}

AfterAll {
    if ($script:echo) { $script:echo.Dispose() }
}

Describe 'Start-ZeroCopyProxy -Wait' {
    It 'streams statistics until stopped, then returns and releases the port' {
        $port = Get-TestClosedPort
        $fg = Start-ForegroundProxy -Port $port -Target $echo.EndPoint
        try {
            (Invoke-TestExchange -Port $port -Bytes 3000).EchoMatches | Should -BeTrue
            (Invoke-TestExchange -Port $port -Bytes 7).EchoMatches | Should -BeTrue
            Wait-TestCondition { $fg.Output.Count -ge 2 } -Because 'both exchanges to be streamed'

            $stopTime = Measure-Command { $fg.PowerShell.Stop() }

            $stopTime.TotalSeconds | Should -BeLessThan 10
            $fg.PowerShell.InvocationStateInfo.State | Should -Be ([System.Management.Automation.PSInvocationState]::Stopped)
            # Accept order fixes the ids; close order (the order of the stream) may differ by a hair.
            $stats = @($fg.Output | Sort-Object ConnectionId)
            $seen = ($stats | ForEach-Object { "#$($_.ConnectionId) $($_.CloseReason) $($_.BytesClientToTarget)/$($_.BytesTargetToClient)" }) -join '; '
            $stats | Should -HaveCount 2 -Because "the records were: $seen"
            $stats | ForEach-Object { $_ | Should -BeOfType ([ZeroCopyPS.Engine.ConnectionStatistics]) }
            $stats.ConnectionId | Should -Be @(1, 2)
            $stats[0].BytesClientToTarget | Should -Be 3000
            $stats[0].BytesTargetToClient | Should -Be 3000
            $stats[1].BytesClientToTarget | Should -Be 7
            $stats[1].BytesTargetToClient | Should -Be 7
            $fg.PowerShell.Streams.Error | Should -HaveCount 0 -Because "errors: $($fg.PowerShell.Streams.Error | Out-String)"
            Test-TestConnect -Port $port | Should -BeFalse -Because 'stopping closed the listener'
        }
        finally {
            $fg.PowerShell.Dispose()
        }
    }

    It 'writes failed connections to the error stream and keeps serving' {
        $port = Get-TestClosedPort
        $closedTarget = Get-TestClosedPort
        $fg = Start-ForegroundProxy -Port $port -Target "127.0.0.1:$closedTarget"
        try {
            $null = Invoke-TestExchange -Port $port -Bytes 10
            Wait-TestCondition { $fg.PowerShell.Streams.Error.Count -ge 1 } -Because 'the connection to fail'

            $fg.PowerShell.InvocationStateInfo.State | Should -Be ([System.Management.Automation.PSInvocationState]::Running)
            $fg.PowerShell.Stop()

            $errors = @($fg.PowerShell.Streams.Error)
            $errors[0].FullyQualifiedErrorId | Should -Be 'TargetConnectFailed,ZeroCopyPS.StartZeroCopyProxyCommand'
            $errors[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ConnectionError)
            $errors[0].TargetObject.CloseReason | Should -Be ([ZeroCopyPS.Engine.CloseReason]::ConnectFailed)
            @($fg.Output).Count | Should -Be 1 -Because 'the failed connection still has its statistics record'
        }
        finally {
            $fg.PowerShell.Dispose()
        }
    }

    It 'stops cleanly when a downstream Select-Object -First has what it needs' {
        $port = Get-TestClosedPort
        $sessionState = [initialsessionstate]::CreateDefault2()
        $sessionState.ImportPSModule($manifest)
        $ps = [powershell]::Create($sessionState)
        try {
            $null = $ps.AddCommand('Start-ZeroCopyProxy').
                AddParameter('Listen', "127.0.0.1:$port").AddParameter('Target', $echo.EndPoint).AddParameter('Wait').
                AddCommand('Select-Object').AddParameter('First', 1)
            $handle = $ps.BeginInvoke()
            Wait-TestCondition { (Test-TestConnect -Port $port) -or $handle.IsCompleted } -Because 'the foreground proxy to listen'

            Wait-TestCondition { $handle.IsCompleted } -Because 'the pipeline to end after the first statistics object'
            $first = @($ps.EndInvoke($handle))

            $first | Should -HaveCount 1
            $first[0].ConnectionId | Should -Be 1
            $ps.InvocationStateInfo.State | Should -Be ([System.Management.Automation.PSInvocationState]::Completed)
            Test-TestConnect -Port $port | Should -BeFalse -Because 'the proxy stopped with the pipeline'
        }
        finally {
            $ps.Dispose()
        }
    }

    It 'can run in a thread job and be stopped with Stop-Job' {
        $port = Get-TestClosedPort
        $threadJob = Start-ThreadJob -ArgumentList $manifest, $port, $echo.EndPoint -ScriptBlock {
            param($Manifest, $Port, $Target)
            Import-Module $Manifest
            Start-ZeroCopyProxy -Listen "127.0.0.1:$Port" -Target $Target -Wait
        }
        try {
            # Listening once it said so (no probe connection: see Start-ForegroundProxy).
            Wait-TestCondition { @($threadJob.Information | Where-Object { "$($_.MessageData)" -like '*listening on*' }).Count -gt 0 -or
                $threadJob.State -in 'Completed', 'Failed', 'Stopped' } -Because 'the proxy in the thread job to listen'
            $threadJob.State | Should -Be 'Running'
            (Invoke-TestExchange -Port $port -Bytes 1234).EchoMatches | Should -BeTrue
            Wait-TestCondition { $threadJob.Output.Count -ge 1 } -Because 'the exchange to be streamed'

            Stop-Job $threadJob

            $threadJob.State | Should -Be 'Stopped'
            $stats = @(Receive-Job $threadJob | Sort-Object ConnectionId)
            $stats | Should -HaveCount 1
            $stats[0].BytesClientToTarget | Should -Be 1234
            $stats[0].BytesTargetToClient | Should -Be 1234
            Test-TestConnect -Port $port | Should -BeFalse
        }
        finally {
            $threadJob | Remove-Job -Force
        }
    }
}
