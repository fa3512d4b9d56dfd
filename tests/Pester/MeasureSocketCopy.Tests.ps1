# Measure-SocketCopy: typed measurements from the in-process copy benchmark, its error ids, and the
# -Endpoint set against throw-away loopback peers (TestHelpers.psm1). Small sizes and few iterations:
# the tests assert counts, types and statuses, never how fast anything was.

BeforeAll {
    $script:echo = $null
    $script:sink = $null
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Import-TestModule
    $script:echo = New-TestEchoServer
    $script:sink = New-TestSinkServer

    # The FullyQualifiedErrorId of the first error a call raises, terminating (binding) or not.
    function Get-MeasureErrorId([scriptblock] $Call) {
        try {
            $records = @(& $Call 2>&1 | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        }
        catch { return $_.FullyQualifiedErrorId }
        if ($records) { return $records[0].FullyQualifiedErrorId }
        '<no error>'
    }
}

AfterAll {
    Get-Job | Where-Object { $_.PSJobTypeName -eq 'ZeroCopyProxy' } | Remove-Job -Force
    if ($script:echo) { $script:echo.Dispose() }
    if ($script:sink) { $script:sink.Dispose() }
}

Describe 'Measure-SocketCopy (copy between loopback pairs)' -Skip:(-not $IsLinux) {
    BeforeAll {
        $script:default = @(Measure-SocketCopy -Size 64KB -Iterations 3)
    }

    It 'writes one SocketCopyMeasurement per mode, Splice and Buffered by default' {
        $default | Should -HaveCount 2
        $default | ForEach-Object { $_ | Should -BeOfType ([ZeroCopyPS.Engine.Measurement.SocketCopyMeasurement]) }
        @($default.Mode) | Should -Be @([ZeroCopyPS.Engine.Measurement.CopyMethod]::Splice, [ZeroCopyPS.Engine.Measurement.CopyMethod]::Buffered)
        @($default.Source) | Should -Be @([ZeroCopyPS.Engine.Measurement.CopySource]::Socket, [ZeroCopyPS.Engine.Measurement.CopySource]::Socket)
    }

    It 'counts the requested iterations and bytes, over TCP, with the copy path of its mode' {
        foreach ($m in $default) {
            $m.Status | Should -Be ([ZeroCopyPS.Engine.Measurement.MeasurementStatus]::Completed)
            $m.SkipReason | Should -BeNullOrEmpty
            $m.Transport | Should -Be 'Tcp'
            $m.SizeBytes | Should -Be 65536
            $m.Iterations | Should -Be 3
            $m.CopyPathUsed.ToString() | Should -Be $m.Mode.ToString() -Because 'a Splice row is spliced and a Buffered row is copied, never relabelled'
        }
    }

    It 'has sane per-copy figures' {
        foreach ($m in $default) {
            $m.MeanTime | Should -BeGreaterThan ([TimeSpan]::Zero)
            $m.MedianTime | Should -BeGreaterThan ([TimeSpan]::Zero)
            $m.P99Time | Should -BeGreaterOrEqual $m.MinTime
            $m.NanosecondsPerCopy | Should -BeGreaterThan 0
            $m.ThroughputMBps | Should -BeGreaterThan 0
            $m.ThroughputGbps | Should -BeGreaterThan 0
            $m.AllocatedBytesPerCopy | Should -BeGreaterOrEqual 0
            $m.SyscallsPerCopy | Should -BeGreaterOrEqual 2 -Because 'at least one read or splice and one write or splice per copy'
            if ($null -ne $m.CpuTimePerCopy) { $m.CpuTimePerCopy | Should -BeGreaterOrEqual ([TimeSpan]::Zero) }
        }
    }

    It 'gives Splice its speedup over Buffered from the same run, and Buffered none' {
        $splice = $default | Where-Object Mode -eq 'Splice'
        $buffered = $default | Where-Object Mode -eq 'Buffered'
        $splice.SpeedupOverBuffered | Should -Not -BeNullOrEmpty
        $splice.SpeedupOverBuffered | Should -BeGreaterThan 0
        $buffered.SpeedupOverBuffered | Should -BeNullOrEmpty
    }

    It 'has no speedup when Buffered is not measured alongside' {
        $only = @(Measure-SocketCopy -Size 16KB -Iterations 2 -Mode Splice)
        $only | Should -HaveCount 1
        $only[0].SpeedupOverBuffered | Should -BeNullOrEmpty
    }

    It 'takes several sizes at once, as numbers, size literals and strings' {
        $sizes = @(Measure-SocketCopy -Size 1000, 16KB, '32KiB' -Iterations 2 -Mode Buffered)
        $sizes | Should -HaveCount 3
        @($sizes.SizeBytes) | Should -Be @(1000, 16384, 32768)
        $sizes | ForEach-Object { $_.Iterations | Should -Be 2 }
    }

    It 'measures every (mode, size, transport) over Unix sockets too' {
        $unix = @(Measure-SocketCopy -Transport Tcp, Unix -Size 8KB -Iterations 2)
        $unix | Should -HaveCount 4
        @($unix | Where-Object Transport -eq 'Unix') | Should -HaveCount 2
        $unix | ForEach-Object { $_.Status | Should -Be ([ZeroCopyPS.Engine.Measurement.MeasurementStatus]::Completed) }
    }

    It 'measures Auto, the proxy default mode, when asked' {
        $auto = @(Measure-SocketCopy -Mode Auto -Size 64KB -Iterations 2)
        $auto | Should -HaveCount 1
        $auto[0].Status | Should -Be ([ZeroCopyPS.Engine.Measurement.MeasurementStatus]::Completed)
        $auto[0].Mode | Should -Be ([ZeroCopyPS.Engine.Measurement.CopyMethod]::Auto)
    }

    It 'stops counting when -Duration runs out, after at least one copy' {
        $bounded = @(Measure-SocketCopy -Size 4KB -Mode Buffered -Iterations 1000000 -Duration 0.2)
        $bounded[0].Iterations | Should -BeGreaterOrEqual 1
        $bounded[0].Iterations | Should -BeLessThan 1000000
    }
}

Describe 'Measure-SocketCopy -Source File (a temp file to a socket)' -Skip:(-not $IsLinux) {
    BeforeAll {
        # A temp folder of the test's own: whatever the cmdlet leaves behind shows there.
        $script:savedTmp = $env:TMPDIR
        $script:tmp = Join-Path $TestDrive 'tmp'
        $null = New-Item -ItemType Directory -Path $tmp
        $env:TMPDIR = $tmp
        try {
            $script:fromFile = @(Measure-SocketCopy -Source File -Size 100001 -Transport Tcp, Unix -Iterations 3)
            $script:leftAfterRun = @(Get-ChildItem -LiteralPath $tmp -Force -Recurse)
        }
        finally { $env:TMPDIR = $savedTmp }
    }

    It 'writes one typed SocketCopyMeasurement per (mode, transport): Sendfile, Splice and Buffered by default' {
        $fromFile | Should -HaveCount 6
        $fromFile | ForEach-Object { $_ | Should -BeOfType ([ZeroCopyPS.Engine.Measurement.SocketCopyMeasurement]) }
        @($fromFile.Mode | ForEach-Object ToString) | Should -Be @('Sendfile', 'Splice', 'Buffered', 'Sendfile', 'Splice', 'Buffered')
        @($fromFile.Transport) | Should -Be @('Tcp', 'Tcp', 'Tcp', 'Unix', 'Unix', 'Unix')
        $fromFile | ForEach-Object { $_.Source | Should -Be ([ZeroCopyPS.Engine.Measurement.CopySource]::File) }
    }

    It 'counts every copy, with the copy path of its mode and no managed allocation per copy' {
        foreach ($m in $fromFile) {
            $m.Status | Should -Be ([ZeroCopyPS.Engine.Measurement.MeasurementStatus]::Completed)
            $m.SizeBytes | Should -Be 100001
            $m.Iterations | Should -Be 3
            $m.CopyPathUsed.ToString() | Should -Be $m.Mode.ToString() -Because 'a Sendfile row went through sendfile, never relabelled'
            $m.AllocatedBytesPerCopy | Should -Be 0
            $m.NanosecondsPerCopy | Should -BeGreaterThan 0
            $m.SyscallsPerCopy | Should -BeGreaterOrEqual 2 -Because 'at least one send and the shutdown per copy'
        }
    }

    It 'gives Sendfile and Splice their speedup over Buffered, and Buffered none' {
        foreach ($m in $fromFile) {
            if ($m.Mode -eq 'Buffered') { $m.SpeedupOverBuffered | Should -BeNullOrEmpty }
            else { $m.SpeedupOverBuffered | Should -BeGreaterThan 0 }
        }
    }

    It 'leaves nothing in the temp folder it made its files in' {
        $leftAfterRun | Should -BeNullOrEmpty
    }

    It 'reports MeasurementSetupFailed and Failed rows when the temp folder cannot hold the file' {
        $notAFolder = Join-Path $TestDrive 'not-a-folder'
        Set-Content -LiteralPath $notAFolder -Value 'a file where the temp folder should be'
        $env:TMPDIR = $notAFolder
        try {
            $errors = $null
            $rows = @(Measure-SocketCopy -Source File -Mode Sendfile -Size 4KB -Iterations 1 -ErrorAction SilentlyContinue -ErrorVariable errors)
        }
        finally { $env:TMPDIR = $savedTmp }
        $rows | Should -HaveCount 1
        $rows[0].Status | Should -Be ([ZeroCopyPS.Engine.Measurement.MeasurementStatus]::Failed)
        $rows[0].SkipReason | Should -BeLike '*source file*'
        @($errors)[0].FullyQualifiedErrorId | Should -Be 'MeasurementSetupFailed,ZeroCopyPS.MeasureSocketCopyCommand'
        Get-Content -LiteralPath $notAFolder | Should -Be 'a file where the temp folder should be'
    }

    It 'refuses <Mode> from <Source> with ModeNotForSource before measuring anything' -ForEach @(
        @{ Source = 'Socket'; Mode = 'Sendfile' }
        @{ Source = 'File'; Mode = 'Auto' }
    ) {
        $err = { Measure-SocketCopy -Source $Source -Mode $Mode -Size 1KB -Iterations 1 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'ModeNotForSource,ZeroCopyPS.MeasureSocketCopyCommand'
        $err.Exception.Message | Should -BeLike "*-Mode $Mode*-Source $Source*"
    }
}

Describe 'Measure-SocketCopy where splice cannot run' -Skip:$IsLinux {
    It 'marks the measurement skipped with a reason instead of running a buffered copy as Splice' {
        $m = @(Measure-SocketCopy -Size 4KB -Iterations 1 -Mode Splice)
        $m[0].Status | Should -Be ([ZeroCopyPS.Engine.Measurement.MeasurementStatus]::Skipped)
        $m[0].SkipReason | Should -Not -BeNullOrEmpty
        $m[0].Iterations | Should -Be 0
    }
}

Describe 'Measure-SocketCopy input errors' {
    It 'rejects size <Size> with <Id>' -ForEach @(
        @{ Size = 0; Id = 'ParameterArgumentValidationError' }
        @{ Size = -1; Id = 'ParameterArgumentValidationError' }
        @{ Size = 2GB; Id = 'ParameterArgumentValidationError' }
        @{ Size = '12 apples'; Id = 'ParameterArgumentTransformationError' }
        @{ Size = 1.5; Id = 'ParameterArgumentTransformationError' }
    ) {
        $actual = Get-MeasureErrorId { Measure-SocketCopy -Size $Size -Iterations 1 }
        $actual | Should -BeLike "$Id,ZeroCopyPS.MeasureSocketCopyCommand"
    }

    It 'names the allowed range in the size error' {
        { Measure-SocketCopy -Size 0 } | Should -Throw -ExpectedMessage '*1 byte to 1 GiB*'
    }

    It 'rejects an unknown transport' {
        $actual = Get-MeasureErrorId { Measure-SocketCopy -Transport Udp }
        $actual | Should -BeLike 'ParameterArgumentValidationError,ZeroCopyPS.MeasureSocketCopyCommand'
    }

    It 'rejects an unknown mode' {
        $actual = Get-MeasureErrorId { Measure-SocketCopy -Mode Zerocopy }
        $actual | Should -BeLike 'CannotConvertArgumentNoMessage,ZeroCopyPS.MeasureSocketCopyCommand'
    }

    It 'rejects zero iterations' {
        $actual = Get-MeasureErrorId { Measure-SocketCopy -Iterations 0 }
        $actual | Should -BeLike 'ParameterArgumentValidationError,ZeroCopyPS.MeasureSocketCopyCommand'
    }
}

Describe 'Measure-SocketCopy -Endpoint' {
    It 'measures bulk echo throughput and round trips of an echo server' {
        $m = Measure-SocketCopy -Endpoint $echo.EndPoint -BulkSize 1MB -RoundTrips 50

        $m | Should -BeOfType ([ZeroCopyPS.Engine.Measurement.EndpointMeasurement])
        $m.Endpoint | Should -Be $echo.EndPoint
        $m.BulkBytes | Should -Be 1MB
        $m.BulkTime | Should -BeGreaterThan ([TimeSpan]::Zero)
        $m.BulkThroughputMBps | Should -BeGreaterThan 0
        $m.MessageSizeBytes | Should -Be 64
        $m.RoundTrips | Should -Be 50
        $m.RoundTripP50 | Should -BeGreaterThan ([TimeSpan]::Zero)
        $m.RoundTripP99 | Should -BeGreaterOrEqual $m.RoundTripP50
        $m.RoundTripP50Microseconds | Should -BeGreaterThan 0
    }

    It 'skips the bulk phase with -BulkSize 0 and honours -MessageSize' {
        $m = Measure-SocketCopy -Endpoint $echo.EndPoint -BulkSize 0 -RoundTrips 10 -MessageSize 1000
        $m.BulkBytes | Should -Be 0
        $m.MessageSizeBytes | Should -Be 1000
        $m.RoundTrips | Should -Be 10
    }

    It 'measures through a running proxy piped to it (ListenEndPoints by property name)' {
        $proxy = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $echo.EndPoint -CopyMode Splice
        try {
            $m = $proxy | Measure-SocketCopy -BulkSize 1MB -RoundTrips 20
            $m.Endpoint | Should -Be $proxy.ListenEndPoints[0]
            $m.BulkBytes | Should -Be 1MB
            $m.RoundTrips | Should -Be 20
        }
        finally {
            $proxy | Remove-Job -Force
        }
    }

    It 'reports <Id> for <Case>' -ForEach @(
        @{ Case = 'a target that does not echo'; Id = 'EndpointNotEchoing'; Target = { $sink.EndPoint } }
        @{ Case = 'a closed port'; Id = 'EndpointConnectFailed'; Target = { "127.0.0.1:$(Get-TestClosedPort)" } }
        @{ Case = 'a malformed endpoint'; Id = 'InvalidEndpoint'; Target = { 'not an endpoint:' } }
    ) {
        $endpoint = & $Target
        $actual = Get-MeasureErrorId { Measure-SocketCopy -Endpoint $endpoint -BulkSize 0 -RoundTrips 5 -Duration 1 }
        $actual | Should -Be "$Id,ZeroCopyPS.MeasureSocketCopyCommand"
    }

    It 'writes a non-terminating error per bad endpoint and measures the others' {
        $errors = $null
        $results = @(Measure-SocketCopy -Endpoint "127.0.0.1:$(Get-TestClosedPort)", $echo.EndPoint -BulkSize 0 -RoundTrips 5 -ErrorAction SilentlyContinue -ErrorVariable errors)
        $results | Should -HaveCount 1
        @($errors) | Should -HaveCount 1
    }
}

Describe 'Measure-SocketCopy command surface' {
    It 'has the Copy set as default and the Endpoint set, each with its output type' {
        $command = Get-Command Measure-SocketCopy
        $command.DefaultParameterSet | Should -Be 'Copy'
        @($command.ParameterSets.Name | Sort-Object) | Should -Be @('Copy', 'Endpoint')
        @($command.OutputType.Type) | Should -Contain ([ZeroCopyPS.Engine.Measurement.SocketCopyMeasurement])
        @($command.OutputType.Type) | Should -Contain ([ZeroCopyPS.Engine.Measurement.EndpointMeasurement])
    }

    It 'exposes get-only output properties' {
        foreach ($type in [ZeroCopyPS.Engine.Measurement.SocketCopyMeasurement], [ZeroCopyPS.Engine.Measurement.EndpointMeasurement]) {
            $type.IsSealed | Should -BeTrue
            foreach ($property in $type.GetProperties()) {
                [bool]($property.SetMethod -and $property.SetMethod.IsPublic) | Should -BeFalse -Because "$($type.Name).$($property.Name) is get-only"
            }
        }
    }
}
