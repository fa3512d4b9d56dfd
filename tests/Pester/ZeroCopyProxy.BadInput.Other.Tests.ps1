# Bad input to Get-ZeroCopyProxy, Stop-ZeroCopyProxy and Measure-SocketCopy, one row per value (see
# BadInput.psm1 for what each row checks). Looking up a name or id that is not there, and measuring an
# endpoint that does not answer, are per-item errors by design (like Get-Job -Name): those rows say
# -NonTerminating and are run with -ErrorAction SilentlyContinue to see the record.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'BadInput.psm1') -Force
    function G { New-BadInputCase -Command Get-ZeroCopyProxy @args }
    function P { New-BadInputCase -Command Stop-ZeroCopyProxy @args }
    function M { New-BadInputCase -Command Measure-SocketCopy @args }
    $V = 'ParameterArgumentValidationError'; $C = 'CannotConvertArgumentNoMessage'; $T = 'ParameterArgumentTransformationError'

    $OtherCases = @(
        foreach ($command in 'Get-ZeroCopyProxy', 'Stop-ZeroCopyProxy') {
            function L { New-BadInputCase -Command $command @args }
            # -Name: a wildcard pattern, checked before anything is looked up or stopped.
            L Name empty '' $V
            L Name empty $null $V
            L Name empty @('{taken}', '') $V
            foreach ($n in 'web[', '[', 'a[b', '[a-', 'web[1') { L Name wildcard $n InvalidProxyNamePattern }
            L Name wildcard @('badinput-absent', 'web[') InvalidProxyNamePattern
            L Name malformed 'badinput-absent' ProxyNotFound -NonTerminating
            L Name whitespace '   ' ProxyNotFound -NonTerminating
            L Name whitespace "no`npe" ProxyNotFound -NonTerminating
            L Name unicode 'ｂａｄｉｎｐｕｔ' ProxyNotFound -NonTerminating
            L Name unicode "`u{200B}" ProxyNotFound -NonTerminating
            L Name type 42 ProxyNotFound -NonTerminating
            L Name syntax $null MissingArgument -Script "$command -Name"
            # -Id: job ids start at 1.
            L Id negative -1 $V
            L Id negative ([int]::MinValue) $V
            L Id zero 0 $V
            L Id zero @(1, 0) $V
            L Id huge 4GB $C
            L Id huge ([int]::MaxValue) ProxyNotFound -NonTerminating
            L Id empty $null $V
            L Id empty @() ParameterArgumentValidationErrorEmptyArrayNotAllowed
            L Id empty '' $V
            L Id whitespace ' ' $V
            L Id whitespace '1 2' $C
            L Id wildcard '*' $C
            L Id unicode '１' $C
            L Id type 'abc' $C
            L Id type @{ Id = 1 } $C
            L Id type ([double]::NaN) $C
            # Thread jobs live outside the repository -Id searches (Get-Job merges both): not found, but named.
            L Id resource '{threadjob}' ProxyNotFound -NonTerminating
            # -InputObject: jobs only.
            L InputObject empty $null $V
            L InputObject empty @() ParameterArgumentValidationErrorEmptyArrayNotAllowed
            L InputObject whitespace ' ' $C
            L InputObject wildcard '*' $C
            L InputObject unicode 'ｊｏｂ' $C
            L InputObject type 5 $C
            L InputObject type @{ Id = 1 } $C
            L InputObject resource $null NotAProxyJob -NonTerminating -Script "Get-Job -Id {threadjob} | $command"
            L Id conflict $null AmbiguousParameterSet -NoBase -With @{ Name = 'web'; Id = 1 } -MessageNamesNoParameter
        }
        P PassThru type 'yes' CannotConvertArgument -With @{ Name = 'badinput-absent' }
        P PassThru type @() CannotConvertArgument -With @{ Name = 'badinput-absent' }
        P PassThru type @{ On = 1 } CannotConvertArgument -With @{ Name = 'badinput-absent' }
        foreach ($f in 'yes', @(), @{ On = 1 }) { P Force type $f CannotConvertArgument -With @{ Name = 'badinput-absent' } }
        # -Force means no drain: with -DrainTimeout it is a contradiction, refused before any proxy is stopped.
        P Force conflict $null ForceWithDrainTimeout -With @{ Name = '{taken}'; Force = $true; DrainTimeout = 5 } -Says 'DrainTimeout'
        # -DrainTimeout: seconds or a TimeSpan, at most a day (zero resets at once, so it is valid).
        foreach ($d in @(@('negative', -1, $V), @('negative', '-00:00:01', $V), @('huge', 86401, $V), @('huge', [TimeSpan]::MaxValue, $V), @('huge', 1e300, $T)
                @('empty', '', $T), @('empty', $null, $T), @('whitespace', ' ', $T), @('wildcard', '*', $T), @('unicode', '１０', $T)
                @('type', $true, $T), @('type', @(1, 2), $T), @('type', [double]::NaN, $T), @('type', '10s', $T))) {
            P DrainTimeout $d[0] $d[1] $d[2] -With @{ Name = 'badinput-absent' }
        }

        # Measure-SocketCopy -Endpoint: the rules of -Target (port 0 refused), one error per endpoint.
        foreach ($e in ':80', 'localhost:80:90', 'unix:', '300.1.1.1:80', '[fe80::1%nosuchif0]:80', '65536') { M Endpoint malformed $e InvalidEndpoint -NonTerminating }
        M Endpoint malformed '::' InvalidEndpoint -NonTerminating -Says '\[::\]:8080'
        M Endpoint malformed 'tcp://127.0.0.1:80' InvalidEndpoint -NonTerminating -Says 'is a URL'
        foreach ($e in '0', '127.0.0.1:0', '[::1]:0') { M Endpoint zero $e InvalidEndpoint -NonTerminating }
        foreach ($e in ' 80 ', "80`n", 'unix: /tmp/x.sock', ' ') { M Endpoint whitespace $e InvalidEndpoint -NonTerminating }
        foreach ($e in '*', '*:80', 'localhost:*') { M Endpoint wildcard $e InvalidEndpoint -NonTerminating }
        foreach ($e in '８０', "127.0.0.1:80`u{200B}") { M Endpoint unicode $e InvalidEndpoint -NonTerminating }
        M Endpoint negative '-1' InvalidEndpoint -NonTerminating
        M Endpoint huge ('unix:/' + 'a' * 200) InvalidEndpoint -NonTerminating
        M Endpoint empty '' $V
        M Endpoint empty $null $V
        M Endpoint empty @() $V
        M Endpoint empty @('127.0.0.1:{closed}', '') $V
        M Endpoint type @{ Port = 80 } $T
        M Endpoint type $true $T
        M Endpoint type 80.5 $T
        M Endpoint resource '127.0.0.1:{closed}' EndpointConnectFailed -NonTerminating
        M Endpoint resource 'unix:{dir}/missing.sock' EndpointConnectFailed -NonTerminating
        M Endpoint resource 'unix:{dir}/file.txt' EndpointConnectFailed -NonTerminating
        M Endpoint resource 'unix:@{abstract}-nobody' EndpointConnectFailed -NonTerminating
        M Size conflict $null AmbiguousParameterSet -NoBase -With @{ Endpoint = '127.0.0.1:{closed}'; Size = 1 } -MessageNamesNoParameter
        M Iterations conflict $null AmbiguousParameterSet -NoBase -With @{ RoundTrips = 1; Iterations = 1 } -MessageNamesNoParameter

        # Sizes: ByteSizeTransformation, then ValidateByteSize (-Size takes several).
        foreach ($p in @(@('Size', 2GB, 0), @('PipeSize', 257MB, $null), @('BufferSize', 32MB, 0), @('BulkSize', 2GB, $null))) {
            $name = $p[0]
            M $name negative -1 $V
            M $name negative '-1KiB' $V
            M $name huge $p[1] $V
            M $name huge ([ulong]::MaxValue) $T
            M $name huge 1e30 $T
            if ($null -ne $p[2]) { M $name zero $p[2] $V }
            M $name empty '' $T
            M $name empty $null $V
            M $name whitespace ' ' $T
            M $name wildcard '*' $T
            M $name unicode '６４KiB' $T
            M $name type $true $T
            M $name type @{ Bytes = 1 } $T
            M $name type 1.5 $T
            M $name type ([double]::NaN) $T
        }
        M Size empty @() $V
        M Size zero @(1KB, 0) $V
        foreach ($name in 'PipeSize', 'BufferSize', 'BulkSize') { M $name type @(1KB, 2KB) $T }

        # Whole numbers: ValidateRange after PowerShell's conversion.
        foreach ($p in @(@('Iterations', 1000001), @('MessageSize', 65537), @('RoundTrips', 10000001))) {
            $name = $p[0]
            M $name negative -1 $V
            M $name zero 0 $V
            M $name huge $p[1] $V
            M $name huge 4GB $C
            M $name empty '' $V
            M $name empty $null $V
            M $name whitespace ' ' $V
            M $name wildcard '*' $C
            M $name unicode '１' $C
            M $name type 'abc' $C
            M $name type @(1, 2) CannotConvertArgument
        }

        # -Duration: seconds or a TimeSpan, more than zero, at most a day.
        foreach ($d in @(@('negative', -1, $V), @('zero', 0, $V), @('zero', '00:00:00', $V), @('huge', 86401, $V), @('huge', 1e300, $T), @('empty', '', $T)
                @('empty', $null, $T), @('whitespace', ' ', $T), @('wildcard', '*', $T), @('unicode', '１０', $T), @('type', $true, $T), @('type', @(1, 2), $T)
                @('type', [double]::NaN, $T), @('type', 'abc', $T))) { M Duration $d[0] $d[1] $d[2] }

        # Enumerated and set-valued lists.
        foreach ($m in @(@('negative', -1), @('huge', 99), @('empty', ''), @('whitespace', ' '), @('wildcard', '*'), @('unicode', 'Splíce'), @('type', $true), @('type', @{ Mode = 1 }))) { M Mode $m[0] $m[1] $C }
        M Mode empty $null $V
        M Mode empty @() $V
        foreach ($t in @(@('malformed', 'Udp'), @('empty', ''), @('empty', $null), @('empty', @()), @('whitespace', ' '), @('whitespace', 'Tcp '), @('wildcard', '*'), @('wildcard', 'T*')
                @('unicode', 'Ｔｃｐ'), @('type', $true), @('type', @{ Name = 'Tcp' }))) { M Transport $t[0] $t[1] $V }
        # -Source: a name from a set (one value: an array is refused, not OR-ed into one).
        foreach ($t in @(@('malformed', 'Disk'), @('empty', ''), @('empty', $null), @('whitespace', ' '), @('whitespace', 'File '), @('wildcard', '*'), @('wildcard', 'F*')
                @('unicode', 'Ｆｉｌｅ'), @('type', $true), @('type', 1), @('type', @{ Name = 'File' }))) { M Source $t[0] $t[1] $V }
        M Source type @('File', 'Socket') CannotConvertArgument
        # A -Mode its -Source does not have: refused before anything is created or measured.
        M Mode conflict $null ModeNotForSource -With @{ Mode = 'Sendfile' } -Says 'add -Source File'
        M Mode conflict $null ModeNotForSource -With @{ Mode = @('Splice', 'Sendfile') } -Says 'Mode Sendfile cannot'
        M Source conflict $null ModeNotForSource -With @{ Source = 'File'; Mode = 'Auto' } -Says 'Mode Auto cannot'
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'BadInputFixture.psm1') -Force
    $script:fixture = New-BadInputFixture   # imports TestHelpers, BadInput and the module under test too
}

AfterAll { Remove-BadInputFixture $script:fixture }

Describe 'Get-, Stop-ZeroCopyProxy and Measure-SocketCopy refuse bad input' {
    It '<Title>' -ForEach $OtherCases {
        Assert-BadInputCase $_ $fixture.Values $fixture.Directory $fixture.Runspace
    }

    It 'has cases of every applicable kind for every parameter of <Command>' -ForEach @(
        @{ Command = 'Get-ZeroCopyProxy'; Cases = $OtherCases; NotApplicable = @{} }
        @{ Command = 'Stop-ZeroCopyProxy'; Cases = $OtherCases; NotApplicable = @{ 'DrainTimeout/zero' = '0 resets open connections at once' } }
        @{ Command = 'Measure-SocketCopy'; Cases = $OtherCases; NotApplicable = @{ 'PipeSize/zero' = '0 keeps the kernel default'; 'BulkSize/zero' = '0 skips the bulk phase' } }
    ) {
        Get-BadInputCoverageProblem $Command @($Cases | Where-Object Command -EQ $Command) $NotApplicable | Should -BeNullOrEmpty
    }

    It 'stops nothing when one -Name among good ones is not a valid pattern' {
        { Stop-ZeroCopyProxy -Name $fixture.Values.taken, 'web[' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidProxyNamePattern,ZeroCopyPS.StopZeroCopyProxyCommand'
        $fixture.Proxy.JobStateInfo.State | Should -Be 'Running'
    }

    # Runs after every case above (Pester keeps the order): bad input never stops a proxy that is not its business.
    It 'left the proxy that was already running serving throughout' {
        $fixture.Proxy.JobStateInfo.State | Should -Be 'Running'
        Test-TestConnect -Port (Get-TestListenPort $fixture.Proxy) | Should -BeTrue
    }
}
