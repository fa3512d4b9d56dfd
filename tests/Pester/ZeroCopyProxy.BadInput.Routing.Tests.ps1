# Bad input to Set-ZeroCopyProxy, Get-ZeroCopyConnection and Stop-ZeroCopyConnection, one row per value (see
# BadInput.psm1 for what each row checks). A name or id that is not there is a per-item error by design
# (like Get-Job -Name): those rows say -NonTerminating. Set-ZeroCopyProxy reads its targets before it looks
# any proxy up, so a bad target is terminating and changes nothing.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'BadInput.psm1') -Force
    function S { New-BadInputCase -Command Set-ZeroCopyProxy @args }
    function G { New-BadInputCase -Command Get-ZeroCopyConnection @args }
    function X { New-BadInputCase -Command Stop-ZeroCopyConnection @args }
    $V = 'ParameterArgumentValidationError'; $C = 'CannotConvertArgumentNoMessage'; $T = 'ParameterArgumentTransformationError'
    $absent = 'ProxyNotFound'

    $RoutingCases = @(
        # Set-ZeroCopyProxy -Name, -Id, -InputObject: the selection of Stop-ZeroCopyProxy.
        S Name empty '' $V
        S Name empty $null $V
        S Name wildcard 'web[' InvalidProxyNamePattern
        S Name malformed 'badinput-absent' $absent -NonTerminating
        S Name whitespace '   ' $absent -NonTerminating
        S Name unicode 'ｂａｄｉｎｐｕｔ' $absent -NonTerminating
        S Name type 42 $absent -NonTerminating
        S Id negative -1 $V
        S Id zero 0 $V
        S Id huge 4GB $C
        S Id huge ([int]::MaxValue) $absent -NonTerminating
        S Id empty $null $V
        S Id empty '' $V
        S Id whitespace ' ' $V
        S Id wildcard '*' $C
        S Id unicode '１' $C
        S Id type 'abc' $C
        S InputObject empty $null $V
        S InputObject whitespace ' ' $C
        S InputObject wildcard '*' $C
        S InputObject unicode 'ｊｏｂ' $C
        S InputObject type 5 $C
        # Set-ZeroCopyProxy -Target: the forms and refusals of Start-ZeroCopyProxy -Target.
        S Target empty '' $V -With @{ Name = '{taken}' }
        S Target empty $null $V -With @{ Name = '{taken}' }
        S Target empty @() $V -With @{ Name = '{taken}' }
        S Target whitespace ' 80' InvalidEndpoint -With @{ Name = '{taken}' }
        S Target whitespace '127.0.0.1 :80' InvalidEndpoint -With @{ Name = '{taken}' }
        S Target wildcard '*:80' InvalidEndpoint -With @{ Name = '{taken}' }
        S Target unicode '127.0.0.1:８０' InvalidEndpoint -With @{ Name = '{taken}' }
        S Target malformed '::' InvalidEndpoint -With @{ Name = '{taken}' }
        S Target zero '127.0.0.1:0' InvalidEndpoint -With @{ Name = '{taken}' }
        S Target type @{ Port = 80 } InvalidTarget -With @{ Name = '{taken}' }
        S Target type @{ Endpoint = '127.0.0.1:1'; Weight = 0 } InvalidTarget -With @{ Name = '{taken}' }
        S Target type $true $T -With @{ Name = '{taken}' }
        S Target resource '{taken}' ProxyTargetsItself -NonTerminating -Script 'Set-ZeroCopyProxy -Name {taken} -Target (Get-Job -Name {taken}).ListenEndPoints[0]'
        S PassThru type 'yes' CannotConvertArgument -With @{ Name = 'badinput-absent' }
        S ReopenLog type 'yes' CannotConvertArgument -With @{ Name = 'badinput-absent' }
        S ReopenLog resource '{taken}' NoAccessLog -NonTerminating -Script 'Set-ZeroCopyProxy -Name {taken} -ReopenLog'

        # Get-ZeroCopyConnection -ProxyName (patterns) and -Id (connection ids).
        G ProxyName empty '' $V
        G ProxyName empty $null $V
        G ProxyName wildcard 'web[' InvalidProxyNamePattern
        G ProxyName malformed 'badinput-absent' $absent -NonTerminating
        G ProxyName whitespace '   ' $absent -NonTerminating
        G ProxyName unicode 'ｂａｄｉｎｐｕｔ' $absent -NonTerminating
        G ProxyName type 42 $absent -NonTerminating
        G Id negative -1 $V
        G Id zero 0 $V
        G Id huge ([long]::MaxValue) ConnectionNotFound -NonTerminating -With @{ ProxyName = '{taken}' }
        G Id huge '99999999999999999999' $C
        G Id empty $null $V
        G Id empty '' $V
        G Id whitespace ' ' $V
        G Id wildcard '*' $C
        G Id unicode '１' $C
        G Id type 'abc' $C

        # Stop-ZeroCopyConnection: an exact proxy name, connection ids, or ConnectionInfo objects.
        X ProxyName empty '' $V -With @{ Id = 1 }
        X ProxyName empty $null $V -With @{ Id = 1 }
        X ProxyName wildcard '*' $absent -NonTerminating -With @{ Id = 1 } -Says 'no ZeroCopyPS proxy'
        X ProxyName malformed 'badinput-absent' $absent -NonTerminating -With @{ Id = 1 }
        X ProxyName whitespace '   ' $absent -NonTerminating -With @{ Id = 1 }
        X ProxyName unicode 'ｂａｄｉｎｐｕｔ' $absent -NonTerminating -With @{ Id = 1 }
        X ProxyName type 42 $absent -NonTerminating -With @{ Id = 1 }
        X Id negative -1 $V -With @{ ProxyName = '{taken}' }
        X Id zero 0 $V -With @{ ProxyName = '{taken}' }
        X Id huge ([long]::MaxValue) ConnectionNotFound -NonTerminating -With @{ ProxyName = '{taken}' }
        X Id huge '99999999999999999999' $C -With @{ ProxyName = '{taken}' }
        X Id empty $null $V -With @{ ProxyName = '{taken}' }
        X Id empty '' $V -With @{ ProxyName = '{taken}' }
        X Id whitespace ' ' $V -With @{ ProxyName = '{taken}' }
        X Id wildcard '*' $C -With @{ ProxyName = '{taken}' }
        X Id unicode '１' $C -With @{ ProxyName = '{taken}' }
        X Id type 'abc' $C -With @{ ProxyName = '{taken}' }
        X InputObject empty $null $V
        X InputObject whitespace ' ' $C
        X InputObject wildcard '*' $C
        X InputObject unicode 'ｃｏｎｎ' $C
        X InputObject type 5 $C
        X Graceful type 'yes' CannotConvertArgument -With @{ ProxyName = '{taken}'; Id = 1 }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'BadInputFixture.psm1') -Force
    $script:fixture = New-BadInputFixture   # imports TestHelpers, BadInput and the module under test too
    $script:targetBefore = $fixture.Proxy.Target
}

AfterAll { Remove-BadInputFixture $script:fixture }

Describe 'Set-ZeroCopyProxy, Get- and Stop-ZeroCopyConnection refuse bad input' {
    It '<Title>' -ForEach $RoutingCases {
        Assert-BadInputCase $_ $fixture.Values $fixture.Directory $fixture.Runspace
    }

    It 'has cases of every applicable kind for every parameter of <Command>' -ForEach @(
        @{ Command = 'Set-ZeroCopyProxy'; Cases = $RoutingCases }
        @{ Command = 'Get-ZeroCopyConnection'; Cases = $RoutingCases }
        @{ Command = 'Stop-ZeroCopyConnection'; Cases = $RoutingCases }
    ) {
        Get-BadInputCoverageProblem $Command @($Cases | Where-Object Command -EQ $Command) @{} | Should -BeNullOrEmpty
    }

    # Runs after every case above (Pester keeps the order): bad input changed nothing about the running proxy.
    It 'left the proxy that was already running serving, with its targets' {
        $fixture.Proxy.JobStateInfo.State | Should -Be 'Running'
        $fixture.Proxy.Target | Should -Be $targetBefore
        Test-TestConnect -Port (Get-TestListenPort $fixture.Proxy) | Should -BeTrue
    }
}
