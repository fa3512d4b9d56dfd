# Bad input to Start-ZeroCopyProxy, one row per value: each must end in a terminating error with the exact
# id listed (the module's own, or PowerShell's where the binder refuses first), a message that names the
# parameter, and nothing left behind (BadInput.psm1 runs and checks every row). Only the rows of kind
# 'resource' bind a real listener or need one, and only because the error is about that listener.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'BadInput.psm1') -Force
    function S { New-BadInputCase -Command Start-ZeroCopyProxy @args }

    # Malformed in any role: -Listen and -Target both refuse these with InvalidEndpoint.
    $endpoints = @(
        @('malformed', '::'), @('malformed', '[::1]'), @('malformed', '[::1]:'), @('malformed', ':80'), @('malformed', 'host:')
        @('malformed', 'host:99999'), @('malformed', 'tcp://127.0.0.1:80'), @('malformed', 'http://x:1'), @('malformed', 'tcp:127.0.0.1:80')
        @('malformed', 'unix:'), @('malformed', 'unix:@'), @('negative', 'localhost:-1'), @('negative', '-1'), @('negative', '[::1]:-1')
        @('malformed', '1e3'), @('malformed', '0x50'), @('malformed', 'localhost:80:90'), @('malformed', '::1:80'), @('malformed', '[::1')
        @('malformed', '[]:80'), @('malformed', '[127.0.0.1]:80'), @('malformed', '[::1]80'), @('malformed', '[::1]:80x'), @('malformed', '+80')
        @('malformed', '80.0'), @('malformed', '300.1.1.1:80'), @('malformed', '1.2.3.4.5:80'), @('malformed', 'localhost'), @('malformed', 'a/b:80')
        @('malformed', 'user@host:80'), @('malformed', '[fe80::1%nosuchif0]:80'), @('malformed', ':'), @('malformed', ']:80')
        @('huge', '65536'), @('huge', '99999999999999'), @('huge', ('1' + '0' * 400)), @('huge', ('unix:/' + 'a' * 200)), @('huge', ('unix:@' + 'a' * 200))
        @('huge', ('unix:/' + [string]::new([char]0xE9, 60))), @('malformed', "unix:{dir}/a`0b"), @('malformed', "unix:@a`0b")
        @('unicode', '８０'), @('unicode', '127.0.0.1:８０'), @('unicode', ([string][char]0x668 + [char]0x660)), @('unicode', "127.0.0.1:80`u{200B}")
        @('unicode', "`u{202E}80"), @('unicode', 'localhost:８0'), @('unicode', "unix:{dir}/a`u{2028}b")
        @('whitespace', ' 80 '), @('whitespace', ' 80'), @('whitespace', '80 '), @('whitespace', "`t80"), @('whitespace', "127.0.0.1:80`n")
        @('whitespace', 'a b:80'), @('whitespace', "host`n:80"), @('whitespace', '127.0.0.1 :80'), @('whitespace', '127.0.0.1: 80'), @('whitespace', ' ')
        @('whitespace', "`t"), @('whitespace', "`n"), @('whitespace', 'unix: {dir}/zcps.sock'), @('whitespace', 'unix:{dir}/zcps.sock '), @('whitespace', "unix:{dir}/a`nb")
        @('wildcard', '*'), @('wildcard', '*:80'), @('wildcard', '?:80'), @('wildcard', '[*]:80'), @('wildcard', '127.0.0.*:80'), @('wildcard', '*.example.com:80')
        @('wildcard', 'localhost:*'), @('wildcard', 'localhost:8?')
    )
    # What the message must say besides the parameter, where an earlier one was wrong or unhelpful.
    $says = @{
        '::' = "'::' is an IPv6 address with no port.*\[::\]:8080"; '::1:80' = '\[::1\]:80\.'; 'tcp://127.0.0.1:80' = 'is a URL.*write 127\.0\.0\.1:80\.'
        'http://x:1' = 'is a URL.*write x:1\.'; 'tcp:127.0.0.1:80' = "starts with 'tcp:'.*write 127\.0\.0\.1:80\."; '８０' = 'digits 0-9: 80\.'
        '[127.0.0.1]:80' = 'takes no brackets: write 127\.0\.0\.1:80\.'; 'localhost:80:90' = "more than one ':'"; '-1' = 'negative'; '*:80' = 'is not a host'
    }
    $StartCases = @(
        foreach ($role in 'Listen', 'Target') {
            foreach ($e in $endpoints) { S $role $e[0] $e[1] InvalidEndpoint -Says $says[$e[1]] }
            S $role empty '' ParameterArgumentValidationError
            S $role empty $null ParameterArgumentValidationError
            S $role empty @() ParameterArgumentValidationError
            # -Target takes hashtables (@{ Endpoint; Weight; Backup }): one of the wrong shape is InvalidTarget.
            S $role type @{ Port = 80 } $(if ($role -eq 'Target') { 'InvalidTarget' } else { 'ParameterArgumentTransformationError' })
            S $role type $true ParameterArgumentTransformationError
            S $role type 80.5 ParameterArgumentTransformationError
            # -Listen binds by property name, so a script block is a delay-bind argument with no pipeline input; -Target is
            # Object[], which PowerShell never delay-binds, so the script block reaches the transformation, which refuses it.
            S $role type { 80 } $(if ($role -eq 'Target') { 'ParameterArgumentTransformationError' } else { 'ScriptBlockArgumentNoInput' })
            S $role type ([ipaddress]'127.0.0.1') ParameterArgumentTransformationError
            S $role type ([datetime]::new(2000, 1, 1)) ParameterArgumentTransformationError
            S $role negative -1 InvalidEndpoint
            S $role huge 70000 InvalidEndpoint
            S $role syntax $null MissingArgument -Script "Start-ZeroCopyProxy -$(if ($role -eq 'Listen') { 'Target 127.0.0.1:{closed}' } else { 'Listen 127.0.0.1:0' }) -$role"
            S $role syntax $null ParameterAlreadyBound -Script "Start-ZeroCopyProxy -$role 1 -$role 2 -$(if ($role -eq 'Listen') { 'Target 127.0.0.1:{closed}' } else { 'Listen 127.0.0.1:0' })"
        }
        S Listen empty @('127.0.0.1:0', '') ParameterArgumentValidationError
        S Listen empty @('127.0.0.1:0', $null) ParameterArgumentValidationError
        S Listen malformed @('127.0.0.1:0', '::') InvalidEndpoint
        # Several targets are valid; targets of the wrong shape are InvalidTarget (TargetTransformationAttribute, TargetList).
        S Target type @{ Endpoint = '127.0.0.1:1'; Weight = 'x' } InvalidTarget
        S Target type @{ Endpoint = '127.0.0.1:1'; Backup = 'maybe' } InvalidTarget
        S Target type ([pscustomobject]@{ Host = 'db'; Port = 1 }) InvalidTarget
        S Target type @('127.0.0.1:1', @{ Endpoint = $true }) InvalidTarget
        S Target zero @{ Endpoint = '127.0.0.1:1'; Weight = 0 } InvalidTarget
        S Target negative @{ Endpoint = '127.0.0.1:1'; Weight = -1 } InvalidTarget
        S Target huge @{ Endpoint = '127.0.0.1:1'; Weight = 1001 } InvalidTarget
        S Target malformed @('127.0.0.1:1', @{ Endpoint = '::' }) InvalidEndpoint
        S Target malformed '127.0.0.1:1,' InvalidEndpoint
        S Listen syntax $null AmbiguousParameter -Script 'Start-ZeroCopyProxy -L 127.0.0.1:0 -Target 127.0.0.1:{closed}'

        # A target on port 0 goes nowhere; for -Listen, port 0 means "any free port" and stays valid.
        foreach ($t in '0', '00', '127.0.0.1:0', 'localhost:0', '[::1]:0', '[::]:0', '0.0.0.0:0', '[::ffff:127.0.0.1]:0') { S Target zero $t InvalidEndpoint -Says 'port 0' }
        S Target whitespace 'unix: relative.sock' InvalidEndpoint

        # Errors about a real listener or path: each needs that listener or file (fixtures in BeforeAll).
        S Listen resource '127.0.0.1:{held}' ListenAddressInUse
        S Listen resource @('127.0.0.1:{free}', '127.0.0.1:{held}') ListenAddressInUse
        S Listen resource 'unix:{heldsock}' ListenAddressInUse
        S Listen resource 'unix:@{abstract}' ListenAddressInUse
        S Listen resource 'unix:{dir}/file.txt' ListenPathNotASocket
        S Listen resource 'unix:{dir}/adir' ListenPathNotASocket
        S Listen resource 'unix:{dir}/link' ListenPathNotASocket
        S Listen resource 'unix:{dir}/missing/x.sock' ListenDirectoryNotFound
        S Listen resource 'unix:{dir}/file.txt/x.sock' ListenDirectoryNotFound
        S Listen resource '192.0.2.1:0' ListenAddressNotAvailable
        S Listen resource '[2001:db8::1]:0' ListenAddressNotAvailable
        S Listen resource '[fe80::1%lo]:0' ListenAddressNotAvailable
        S Listen resource '{denied}' ListenPermissionDenied
        S Target resource '127.0.0.1:{free}' ProxyTargetsItself -With @{ Listen = '127.0.0.1:{free}' }
        S Target resource 'localhost:{free}' ProxyTargetsItself -With @{ Listen = '{free}' }
        S Target resource 'unix:{dir}/self.sock' ProxyTargetsItself -With @{ Listen = 'unix:{dir}/self.sock' }
        S Target resource 'unix:@{abstract}-self' ProxyTargetsItself -With @{ Listen = 'unix:@{abstract}-self' }

        # -Name: Get- and Stop-ZeroCopyProxy read names as wildcard patterns, so a name must not be one.
        foreach ($n in '*', 'web*', 'web?', 'web[1]', '[abc]', ']', 'a`b') { S Name wildcard $n InvalidProxyName }
        foreach ($n in '   ', ' web', 'web ', "`tweb", "web`n", "a`nb", "web`r", "`u{00A0}") { S Name whitespace $n InvalidProxyName }
        foreach ($n in "`u{200B}web", "web`u{202E}", "`0", "web`e") { S Name unicode $n InvalidProxyName }
        S Name empty '' ParameterArgumentValidationError
        S Name empty $null ParameterArgumentValidationError
        S Name type @('a', 'b') CannotConvertArgument
        S Name resource '{taken}' ProxyNameInUse
        S Name resource '{takenUpper}' ProxyNameInUse
        S Name syntax $null MissingArgument -Script 'Start-ZeroCopyProxy 127.0.0.1:0 127.0.0.1:{closed} -Name'

        # Whole numbers checked by ValidateRange (limits from ProxyOptionLimits); PowerShell converts first.
        $V = 'ParameterArgumentValidationError'; $C = 'CannotConvertArgumentNoMessage'; $T = 'ParameterArgumentTransformationError'
        foreach ($p in @(@('MaxConnections', 1000001), @('ListenBacklog', 65536), @('MaxPipes', 1000001), @('EventLoopCount', 257), @('HistoryLimit', $null))) {
            $name = $p[0]
            S $name negative -1 $V
            S $name negative ([int]::MinValue) $V
            if ($null -ne $p[1]) { S $name huge $p[1] $V }
            S $name huge 4GB $C
            S $name huge ([long]::MaxValue) $C
            S $name empty $null $V
            S $name whitespace '1 2' $C
            S $name wildcard '*' $C
            S $name unicode '１０' $C
            S $name type 'abc' $C
            S $name type @(1, 2) CannotConvertArgument
            S $name type @{ Count = 1 } $C
            S $name type ([double]::NaN) $C
        }
        foreach ($name in 'MaxConnections', 'ListenBacklog', 'MaxPipes') { S $name zero 0 $V; S $name empty '' $V; S $name whitespace ' ' $V }

        # Durations: a number is seconds (TimeSpanTransformation), the range is ValidateTimeSpan's.
        foreach ($p in @(@('ConnectTimeout', 3601), @('IdleTimeout', 604801), @('HalfCloseTimeout', 604801), @('DrainTimeout', 86401), @('DnsCacheDuration', 86401), @('HealthCheckInterval', 3601))) {
            $name = $p[0]
            S $name negative -1 $V
            S $name negative '-00:00:01' $V
            S $name negative ([TimeSpan]::MinValue) $V
            S $name huge $p[1] $V
            S $name huge ([TimeSpan]::MaxValue) $V
            S $name huge 1e300 $T
            S $name huge ([double]::PositiveInfinity) $T
            S $name empty '' $T
            S $name empty $null $T
            S $name whitespace ' ' $T
            S $name whitespace '1 0' $T
            S $name wildcard '*' $T
            S $name unicode '１０' $T
            S $name type $true $T
            S $name type @(1, 2) $T
            S $name type @{ Seconds = 1 } $T
            S $name type ([double]::NaN) $T
            S $name type '10s' $T
        }
        S ConnectTimeout zero 0 $V
        S ConnectTimeout zero '00:00:00' $V

        # Sizes in bytes (ByteSizeTransformation, then ValidateByteSize).
        foreach ($p in @(@('PipeSize', 257MB), @('BufferSize', 32MB), @('MaxPipeMemory', 65GB))) {
            $name = $p[0]
            S $name negative -1 $V
            S $name negative '-1KiB' $V
            S $name huge $p[1] $V
            if ($p[1] -lt 4GB) { S $name huge 4GB $V } # 4 GiB is a valid -MaxPipeMemory
            S $name huge ([ulong]::MaxValue) $T
            S $name huge 1e30 $T
            S $name empty '' $T
            S $name empty $null $V
            S $name whitespace ' ' $T
            S $name whitespace '6 4KiB' $T
            S $name wildcard '*' $T
            S $name wildcard '64*' $T
            S $name unicode '６４KiB' $T
            S $name type $true $T
            S $name type @(65536, 65536) $T
            S $name type @{ Bytes = 1 } $T
            S $name type ([double]::NaN) $T
            S $name type 1.5 $T
            S $name type '64KB/s' $T
        }
        S BufferSize zero 0 $V
        S BufferSize zero '0KiB' $V
        S BufferSize huge 100 $V
        S MaxPipeMemory zero 0 $V
        S MaxPipeMemory zero '0MiB' $V
        S MaxPipeMemory huge 65535 $V # below one 64 KiB pipe (out of range, as BufferSize 100 above)
        S MaxPipeMemory huge ([long]::MaxValue) $V

        # -UnixSocketMode: octal digits or rwx letters (UnixModeTransformation).
        foreach ($m in @(@('negative', -1), @('huge', 4777), @('huge', 77777), @('huge', 1000), @('malformed', 999), @('malformed', 8), @('empty', ''), @('empty', $null)
                @('whitespace', ' '), @('whitespace', 'rw- rw- ---'), @('wildcard', '*'), @('wildcard', 'rw*rw----'), @('unicode', '０６６０'), @('type', $true)
                @('type', 1.5), @('type', @(1, 2)), @('type', @{ Mode = 1 }), @('malformed', 'rw-rw-rwz'), @('malformed', 'u=rw'))) { S UnixSocketMode $m[0] $m[1] $T }

        # Enumerations: PowerShell's conversion names the valid values.
        foreach ($name in 'CopyMode', 'Engine', 'Balance', 'SendProxyProtocol') {
            foreach ($m in @(@('negative', -1), @('huge', 99), @('empty', ''), @('whitespace', ' '), @('wildcard', '*'), @('wildcard', 'Auto*'), @('unicode', 'Äuto')
                    @('type', $true), @('type', @{ Mode = 1 }), @('type', 1.5))) { S $name $m[0] $m[1] $C }
            S $name empty $null ParameterBindingFailed
        }

        # Service parameters (issue 10): paths resolved against the location, the metrics address an IP endpoint.
        foreach ($name in 'LogPath', 'HandOverPath') {
            S $name empty '' ParameterArgumentValidationError
            S $name empty $null ParameterArgumentValidationError
            S $name whitespace ' ' InvalidServicePath
            S $name whitespace ' {dir}/x.log' InvalidServicePath
            S $name whitespace "{dir}/a`nb" InvalidServicePath
            S $name unicode "{dir}/a`u{200B}b" InvalidServicePath
            S $name unicode "{dir}/a`u{202E}b" InvalidServicePath
            S $name type @('a', 'b') CannotConvertArgument
            S $name resource '{dir}/adir' InvalidServicePath
        }
        S LogPath resource '{dir}/missing/x.jsonl' AccessLogOpenFailed
        S LogPath resource '{dir}/file.txt/x.jsonl' AccessLogOpenFailed
        S HandOverPath huge ('/tmp/' + 'h' * 100) InvalidProxyOptions
        foreach ($m in @(@('empty', ''), @('empty', $null))) { S MetricsListen $m[0] $m[1] ParameterArgumentValidationError }
        foreach ($m in @(@('whitespace', ' 9100'), @('whitespace', "127.0.0.1:9100`n"), @('wildcard', '*:9100'), @('wildcard', '127.0.0.*:9100')
                @('unicode', '９１００'), @('unicode', "127.0.0.1:9100`u{200B}"), @('malformed', 'metrics.example:9100'), @('malformed', 'unix:{dir}/m.sock')
                @('malformed', 'http://127.0.0.1:9100/metrics'), @('huge', '127.0.0.1:65536'), @('negative', '127.0.0.1:-1'))) { S MetricsListen $m[0] $m[1] InvalidMetricsEndpoint }
        S MetricsListen type @('127.0.0.1:1', '127.0.0.1:2') CannotConvertArgument
        S MetricsListen resource '127.0.0.1:{held}' MetricsListenFailed
        S MetricsListen resource '192.0.2.1:9100' MetricsListenFailed
        S ReusePort type 'yes' CannotConvertArgument
        S ReusePort type @{ On = 1 } CannotConvertArgument
        S Wait conflict $null AccessLogOpenFailed -NamedInMessage LogPath -With @{ Wait = $true; LogPath = '{dir}/missing/x.jsonl' } -Isolated
        S Wait conflict $null MetricsListenFailed -NamedInMessage MetricsListen -With @{ Wait = $true; MetricsListen = '127.0.0.1:{held}' } -Isolated

        # Client rules: addresses and CIDR ranges only (ClientRuleList), each refusal InvalidClientRule.
        foreach ($name in 'AllowClient', 'DenyClient') {
            foreach ($m in @(@('malformed', 'localhost'), @('malformed', '10.0.0.1/33'), @('malformed', '192.0.2.1/24'), @('malformed', '1.2'), @('malformed', '2001:db8::/129')
                    @('malformed', '10.0.0.0/'), @('malformed', '/8'), @('negative', '10.0.0.0/-1'), @('huge', '10.0.0.0/999999999999'), @('malformed', 'fe80::1%lo')
                    @('whitespace', ' '), @('whitespace', ' 10.0.0.1'), @('whitespace', '10.0.0.0 /8'), @('wildcard', '*'), @('wildcard', '10.0.0.*')
                    @('unicode', '１０.0.0.1'), @('unicode', "10.0.0.1`u{200B}"), @('type', $true), @('type', @{ Address = '10.0.0.1' }), @('type', 80))) {
                S $name $m[0] $m[1] InvalidClientRule
            }
            S $name malformed @('10.0.0.0/8', 'x') InvalidClientRule
            S $name empty '' ParameterArgumentValidationError
            S $name empty $null ParameterArgumentValidationError
            S $name empty @() ParameterArgumentValidationError
        }

        # -AcceptProxyProtocol: a switch.
        S AcceptProxyProtocol type 'yes' CannotConvertArgument
        S AcceptProxyProtocol type @{ On = 1 } CannotConvertArgument

        # -Fault: hashtables or ProxyFault objects (FaultTransformation, FaultList); every refusal names -Fault and the key.
        foreach ($f in @(@('empty', @{}), @('whitespace', ' '), @('whitespace', @{ Type = ' ' }), @('wildcard', '*'), @('wildcard', @{ Type = 'L*' })
                @('unicode', @{ Type = 'Ｌatency'; Delay = 1 }), @('unicode', @{ Type = 'Latency'; Delay = '１０ms' }), @('type', $true), @('type', 42)
                @('type', @{ Type = 'Stall'; Probability = $true }), @('type', @{ Type = 'Latency'; Delay = @(1, 2) }), @('type', @{ Type = 3 })
                @('malformed', @{ Type = 'Stall'; Typo = 1 }), @('malformed', @{ Type = 'Stall'; Direction = 'Up' }), @('huge', @{ Type = 'Stall'; Probability = 1.5 }))) {
            S Fault $f[0] $f[1] InvalidFault
        }
        S Fault malformed @{ Type = 'Latency'; Delay = 1; Bytes = 5 } FaultParameterNotForKind
        foreach ($f in @(@('negative', @{ Type = 'Latency'; Delay = -1 }), @('zero', @{ Type = 'Slice'; AverageSize = 0 }), @('huge', @{ Type = 'LimitData'; Bytes = 2PB })
                @('whitespace', @{ Type = 'Stall'; Name = ' ' }), @('unicode', @{ Type = 'Stall'; Name = "a`u{7}b" }))) {
            S Fault $f[0] $f[1] InvalidFaultSetting
        }
        S Fault conflict $null FaultNameInUse -With @{ Fault = @(@{ Type = 'Stall'; Name = 'x' }, @{ Type = 'Stall'; Name = 'X' }) }
        S Fault huge @(1..65 | ForEach-Object { @{ Type = 'Stall' } }) TooManyFaults
        S Fault empty '' ParameterArgumentValidationError
        S Fault empty $null ParameterArgumentValidationError
        S Fault empty @() ParameterArgumentValidationError

        # -Wait: a switch. In the foreground a wrongly accepted start would block, so these run isolated with a deadline.
        S Wait type 'yes' CannotConvertArgument
        S Wait type @() CannotConvertArgument
        S Wait type @{ On = 1 } CannotConvertArgument
        S Wait conflict $null InvalidProxyName -NamedInMessage Name -With @{ Wait = $true; Name = '*' } -Isolated
        S Wait conflict $null InvalidEndpoint -NamedInMessage Target -With @{ Wait = $true; Target = '127.0.0.1:0' } -Isolated
        S Wait conflict $null InvalidEndpoint -NamedInMessage Listen -With @{ Wait = $true; Listen = '::' } -Isolated
        S Wait conflict $null ListenAddressInUse -NamedInMessage Listen -With @{ Wait = $true; Listen = '127.0.0.1:{held}' } -Isolated
        S Wait conflict $null ParameterArgumentValidationError -NamedInMessage PipeSize -With @{ Wait = $true; PipeSize = 4GB } -Isolated
        S '' syntax $null NamedParameterNotFound -NamedInMessage Nope -Script 'Start-ZeroCopyProxy 127.0.0.1:0 127.0.0.1:{closed} -Nope 1'
        S MaxConnections syntax $null AmbiguousParameter -Script 'Start-ZeroCopyProxy 127.0.0.1:0 127.0.0.1:{closed} -Max 5'
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'BadInputFixture.psm1') -Force
    $script:fixture = New-BadInputFixture   # imports TestHelpers, BadInput and the module under test too
}

AfterAll { Remove-BadInputFixture $script:fixture }

Describe 'Start-ZeroCopyProxy refuses bad input' {
    It '<Title>' -ForEach $StartCases {
        if ($_.Value -eq '{denied}' -and -not $fixture.Values.denied) { Set-ItResult -Skipped -Because 'no location here refuses a socket bind with EACCES/EPERM' }
        Assert-BadInputCase $_ $fixture.Values $fixture.Directory $fixture.Runspace
    }

    # Discovery data reaches a test only through -ForEach.
    It 'has cases of every applicable kind for every parameter Get-Command lists' -ForEach @{ Cases = $StartCases } {
        $notApplicable = @{
            'EventLoopCount/zero' = '0 means one loop per processor'; 'HistoryLimit/zero' = '0 keeps no history'
            'PipeSize/zero' = '0 keeps the kernel default'; 'UnixSocketMode/zero' = '0 is a valid (if useless) mode'
            'IdleTimeout/zero' = '0 disables it'; 'HalfCloseTimeout/zero' = '0 disables it'; 'DrainTimeout/zero' = '0 stops at once'
            'DnsCacheDuration/zero' = '0 looks the target up for every connection'; 'HealthCheckInterval/zero' = '0 turns the active check off'
            'LogPath/wildcard' = 'a literal path: * ? [ ] are file name characters'; 'HandOverPath/wildcard' = 'a literal path: * ? [ ] are file name characters'
        }
        Get-BadInputCoverageProblem Start-ZeroCopyProxy $Cases $notApplicable | Should -BeNullOrEmpty
    }

    # Runs after every case above (Pester keeps the order): bad input never stops a proxy that is not its business.
    It 'left the proxy that was already running serving throughout' {
        $fixture.Proxy.JobStateInfo.State | Should -Be 'Running'
        Test-TestConnect -Port (Get-TestListenPort $fixture.Proxy) | Should -BeTrue
    }
}
