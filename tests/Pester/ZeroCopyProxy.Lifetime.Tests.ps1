# What happens to a proxy and its open connections when the runspace or the whole process that
# started it goes away: nothing may keep serving unseen, and a stream cut mid-transfer must reach
# the target as a reset, never as a clean end of stream.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:manifest = Import-TestModule
}

AfterAll {
    Remove-TestProxyJob
}

Describe 'A proxy outlives neither its runspace nor its process' {
    It 'stops when the runspace that started it closes, resetting the open connection' {
        $sink = [ZeroCopyPS.TestSupport.OutcomeSink]::new()
        $shell = [powershell]::Create()
        try {
            $job = $shell.AddScript("Import-Module '$script:manifest'; Start-ZeroCopyProxy 127.0.0.1:0 127.0.0.1:$($sink.Port) -Name 'inner'").Invoke()[0]
            $port = [int]($job.ListenEndPoints[0] -split ':')[-1]
            $stream = [ZeroCopyPS.TestSupport.Streamer]::Start($port)
            Wait-TestCondition { $sink.BytesReceived -gt 1MB } -Because 'bytes to flow through the proxy'

            $shell.Runspace.Close()

            $sink.Outcome.Wait(10000) | Should -BeTrue
            $sink.Outcome.Result | Should -Be 'Reset'
            $job.JobStateInfo.State | Should -Be 'Stopped'
            Test-TestConnect -Port $port | Should -BeFalse       # the listener is gone too
            $stream.Wait(10000) | Should -BeTrue
        }
        finally {
            $shell.Dispose()
            $sink.Dispose()
        }
    }

    It 'resets open connections when the PowerShell process exits' {
        $sink = [ZeroCopyPS.TestSupport.OutcomeSink]::new()
        $listenPort = Get-TestClosedPort
        $pwsh = @(Get-PwshCommand)
        $flag = Join-Path ([IO.Path]::GetTempPath()) "zc-exit-$([guid]::NewGuid().ToString('N'))"
        # The child proxies until the flag appears (20 s at most), then ends the process with the stream
        # in full flow. [Environment]::Exit, not `exit`: no runspace is closed first, so only the engine's
        # process-exit hook stands between the target and a FIN.
        $script = "Import-Module '$script:manifest'; `$null = Start-ZeroCopyProxy 127.0.0.1:$listenPort 127.0.0.1:$($sink.Port) -CopyMode Splice; " +
            "`$deadline = [DateTime]::UtcNow.AddSeconds(20); while (-not (Test-Path '$flag') -and [DateTime]::UtcNow -lt `$deadline) { Start-Sleep -Milliseconds 50 }; [Environment]::Exit(0)"
        $startInfo = [Diagnostics.ProcessStartInfo]::new($pwsh[0])
        foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $script)) { $startInfo.ArgumentList.Add($a) }
        $startInfo.UseShellExecute = $false
        $process = [Diagnostics.Process]::Start($startInfo)
        try {
            Wait-TestCondition { Test-TestConnect -Port $listenPort } -TimeoutSeconds 20 -Because 'the child proxy to listen'
            $stream = [ZeroCopyPS.TestSupport.Streamer]::Start($listenPort)
            Wait-TestCondition { $sink.BytesReceived -gt 1MB } -Because 'bytes to flow through the child proxy'
            $null = New-Item -ItemType File -Path $flag
            $process.WaitForExit(30000) | Should -BeTrue

            $sink.Outcome.Wait(10000) | Should -BeTrue
            $sink.BytesReceived | Should -BeGreaterThan 0
            $sink.Outcome.Result | Should -Be 'Reset'             # a cut stream, not a complete one
            $stream.Wait(10000) | Should -BeTrue
        }
        finally {
            if (-not $process.HasExited) { $process.Kill($true) }
            Remove-Item -LiteralPath $flag -ErrorAction Ignore
            $sink.Dispose()
        }
    }
}
