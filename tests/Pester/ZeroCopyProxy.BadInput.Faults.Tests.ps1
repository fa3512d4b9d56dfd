# Bad input to Add-, Get- and Remove-ZeroCopyFault, one row per value (see BadInput.psm1 for what each row
# checks). Faults go on the fixture's running proxy ('{taken}'), whose base fault is a Stall (no settings), so a
# setting under test is refused for its value or, when the value is fine, for its kind. Looking up a proxy or a
# fault that is not there is a per-item error by design (like Get-Job -Name): those rows say -NonTerminating.
# Start-ZeroCopyProxy -Fault is in ZeroCopyProxy.BadInput.Start.Tests.ps1.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'BadInput.psm1') -Force
    # Not A, G, R: 'r' is an alias (Invoke-History), and an alias wins over a function.
    function AF { New-BadInputCase -Command Add-ZeroCopyFault @args }
    function RF { New-BadInputCase -Command Remove-ZeroCopyFault @args }
    $V = 'ParameterArgumentValidationError'; $C = 'CannotConvertArgumentNoMessage'; $T = 'ParameterArgumentTransformationError'

    $FaultCases = @(
        # -ProxyName: a wildcard pattern, checked before any proxy changes.
        foreach ($command in 'Add-ZeroCopyFault', 'Get-ZeroCopyFault', 'Remove-ZeroCopyFault') {
            function L { New-BadInputCase -Command $command @args }
            L ProxyName empty '' $V
            L ProxyName empty $null $V
            L ProxyName empty @('{taken}', '') $V
            foreach ($n in 'web[', '[a-') { L ProxyName wildcard $n InvalidProxyNamePattern }
            L ProxyName whitespace '   ' ProxyNotFound -NonTerminating
            L ProxyName unicode 'ｂａｄｉｎｐｕｔ' ProxyNotFound -NonTerminating
            L ProxyName type 42 ProxyNotFound -NonTerminating
        }

        # -Type and -Direction: enums, by name.
        foreach ($k in @(@('wildcard', 'Lat*'), @('unicode', 'Ｌatency'), @('type', @{ Type = 1 }), @('type', 99))) {
            AF Type $k[0] $k[1] $C   # not $t: PowerShell's names are case-insensitive, and $T is the id above
        }
        AF Type empty $null ParameterArgumentValidationErrorNullNotAllowed
        # Blank text and 'A,B' (the bitwise or of two kinds: 'Bandwidth,Stall' is ResetAfter) are refused before PowerShell converts them.
        foreach ($k in @(@('empty', ''), @('whitespace', ' '), @('malformed', 'Latency,Stall'), @('malformed', 'Bandwidth, Stall'))) { AF Type $k[0] $k[1] $T }
        foreach ($d in @(@('wildcard', 'To*'), @('unicode', 'ＴｏClient'), @('type', @{ Direction = 1 }), @('malformed', 'Up'))) {
            AF Direction $d[0] $d[1] $C
        }
        foreach ($d in @(@('empty', ''), @('whitespace', ' '), @('malformed', 'ToClient,ToTarget'))) { AF Direction $d[0] $d[1] $T }
        AF Direction empty $null ParameterBindingFailed

        # -Probability: 0 to 1.
        foreach ($p in @(@('negative', -0.1), @('huge', 1.5), @('type', [double]::NaN))) { AF Probability $p[0] $p[1] $V }
        foreach ($p in @(@('wildcard', '*'), @('unicode', '０.5'), @('type', @{ P = 1 }), @('type', 'half'))) { AF Probability $p[0] $p[1] $C }
        # '' would be 0, "never": blank text is refused before PowerShell converts it.
        foreach ($p in @(@('empty', ''), @('whitespace', ' '))) { AF Probability $p[0] $p[1] $T }
        AF Probability empty $null $V

        # -Name: the fault's name.
        AF Name empty '' $V
        AF Name empty $null $V
        AF Name huge ('n' * 129) $V
        AF Name whitespace '   ' InvalidFaultSetting
        AF Name whitespace "a`tb" InvalidFaultSetting
        AF Name unicode "a`u{7}b" InvalidFaultSetting
        AF Name wildcard 'stall_both' FaultNameInUse -NonTerminating -With @{ Name = 'stall_both' } -Script "Add-ZeroCopyFault {taken} Stall; Add-ZeroCopyFault {taken} Stall -Name STALL_BOTH"
        AF Name type @('a', 'b') CannotConvertArgument

        # Times: seconds, TimeSpans or '200ms'; at most a day; each for its kinds only.
        foreach ($p in @(@('Delay', 'Latency'), @('Jitter', 'Latency'), @('CloseAfter', 'Stall'), @('After', 'ResetAfter'))) {
            $name = $p[0]; $with = @{ Type = $p[1] }
            if ($name -eq 'Jitter') { $with.Delay = 1 }
            foreach ($d in @(@('negative', -1, $V), @('negative', '-5ms', $T), @('huge', 86401, $V), @('huge', '2000min', $V), @('huge', 1e300, $T), @('empty', '', $T)
                    @('empty', $null, $T), @('whitespace', ' ', $T), @('wildcard', '*', $T), @('unicode', '１０ms', $T), @('type', $true, $T), @('type', @(1, 2), $T)
                    @('type', [double]::NaN, $T), @('malformed', '10 parsecs', $T))) {
                AF $name $d[0] $d[1] $d[2] -With $with
            }
        }
        AF Delay zero 0 InvalidFaultSetting -With @{ Type = 'Latency' }
        AF Delay zero '0ms' InvalidFaultSetting -With @{ Type = 'SlowClose' }
        AF Jitter huge 2 InvalidFaultSetting -With @{ Type = 'Latency'; Delay = 1 }
        AF Delay conflict $null FaultParameterNotForKind -With @{ Type = 'Bandwidth'; BytesPerSecond = 1MB; Delay = 1 }
        AF Jitter conflict $null FaultParameterNotForKind -With @{ Type = 'SlowClose'; Delay = 1; Jitter = 1 }
        AF CloseAfter conflict $null FaultParameterNotForKind -With @{ CloseAfter = 1; Type = 'ResetAfter' }
        AF After conflict $null FaultParameterNotForKind -With @{ After = 1 }

        # Sizes: ByteSizeTransformation, then ValidateByteSize; each for its kinds only.
        foreach ($p in @(@('BytesPerSecond', 'Bandwidth', 200GB, 0), @('Bytes', 'LimitData', 2PB, $null), @('AverageSize', 'Slice', 17MB, 0), @('SizeVariation', 'Slice', 17MB, $null))) {
            $name = $p[0]; $with = @{ Type = $p[1] }
            if ($name -eq 'SizeVariation') { $with.AverageSize = 1KB }
            AF $name negative -1 $V -With $with
            AF $name negative '-1KiB' $V -With $with
            AF $name huge $p[2] $V -With $with
            AF $name huge ([ulong]::MaxValue) $T -With $with
            if ($null -ne $p[3]) { AF $name zero $p[3] $V -With $with }
            AF $name empty '' $T -With $with
            AF $name empty $null $V -With $with
            AF $name whitespace ' ' $T -With $with
            AF $name wildcard '*' $T -With $with
            AF $name unicode '６４KiB' $T -With $with
            AF $name type $true $T -With $with
            AF $name type @{ Bytes = 1 } $T -With $with
            AF $name type 1.5 $T -With $with
            AF $name type @(1KB, 2KB) $T -With $with
        }
        AF SizeVariation huge 1KB InvalidFaultSetting -With @{ Type = 'Slice'; AverageSize = 1KB }
        AF AverageSize zero $null InvalidFaultSetting -NamedInMessage AverageSize -With @{ Type = 'Slice' } -Script 'Add-ZeroCopyFault {taken} Slice'
        AF BytesPerSecond conflict $null FaultParameterNotForKind -With @{ BytesPerSecond = 1MB }
        AF Bytes conflict $null FaultParameterNotForKind -With @{ Type = 'Latency'; Delay = 1; Bytes = 1MB }
        AF AverageSize conflict $null FaultParameterNotForKind -With @{ Type = 'LimitData'; Bytes = 1; AverageSize = 10 }
        AF SizeVariation conflict $null FaultParameterNotForKind -With @{ SizeVariation = 10 }

        # Switches.
        foreach ($s in 'PassThru', 'WhatIf', 'Confirm') {
            foreach ($flag in 'yes', @(), @{ On = 1 }) { AF $s type $flag CannotConvertArgument }
        }
        foreach ($s in 'WhatIf', 'Confirm') {
            foreach ($flag in 'yes', @(), @{ On = 1 }) { RF $s type $flag CannotConvertArgument }
        }

        # -Name of Get- and Remove-: wildcard patterns of fault names.
        foreach ($command in 'Get-ZeroCopyFault', 'Remove-ZeroCopyFault') {
            function L { New-BadInputCase -Command $command @args }
            L Name empty '' $V
            L Name empty $null $V
            L Name empty @('x', '') $V
            foreach ($n in 'latency[', '[a-') { L Name wildcard $n InvalidFaultNamePattern }
            L Name whitespace '   ' FaultNotFound -NonTerminating
            L Name unicode 'ｌａｔｅｎｃｙ' FaultNotFound -NonTerminating
            L Name type 42 FaultNotFound -NonTerminating
        }
        RF ProxyName syntax $null MissingArgument -Script 'Remove-ZeroCopyFault -ProxyName'
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'BadInputFixture.psm1') -Force
    $script:fixture = New-BadInputFixture   # imports TestHelpers, BadInput and the module under test too
}

AfterAll { Remove-BadInputFixture $script:fixture }

Describe 'Add-, Get- and Remove-ZeroCopyFault refuse bad input' {
    # A case that wrongly added a fault has failed already; the next case starts without it.
    AfterEach { Get-ZeroCopyFault -ProxyName $fixture.Values.taken | Remove-ZeroCopyFault }

    It '<Title>' -ForEach $FaultCases {
        Assert-BadInputCase $_ $fixture.Values $fixture.Directory $fixture.Runspace
    }

    It 'has cases of every applicable kind for every parameter of <Command>' -ForEach @(
        @{ Command = 'Add-ZeroCopyFault'; Cases = $FaultCases; NotApplicable = @{
                'Jitter/zero' = 'no jitter'; 'CloseAfter/zero' = 'stalls for ever'; 'After/zero' = 'not by time'
                'Bytes/zero' = 'ResetAfter: not by bytes; LimitData: closes at once'; 'SizeVariation/zero' = 'slices of one size' } }
        @{ Command = 'Get-ZeroCopyFault'; Cases = $FaultCases; NotApplicable = @{} }
        @{ Command = 'Remove-ZeroCopyFault'; Cases = $FaultCases; NotApplicable = @{} }
    ) {
        Get-BadInputCoverageProblem $Command @($Cases | Where-Object Command -EQ $Command) $NotApplicable | Should -BeNullOrEmpty
    }

    # Runs after every case above (Pester keeps the order): bad input left the proxy serving, with no fault.
    It 'left the proxy that was already running serving, with no fault' {
        $fixture.Proxy.JobStateInfo.State | Should -Be 'Running'
        Get-ZeroCopyFault -ProxyName $fixture.Values.taken | Should -BeNullOrEmpty
        Test-TestConnect -Port (Get-TestListenPort $fixture.Proxy) | Should -BeTrue
    }
}
