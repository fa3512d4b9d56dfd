# Help and gallery metadata of the staged module ($env:ZEROCOPYPS_MODULE_PATH): Get-Help shows the
# generated MAML (not PowerShell's syntax-only stub) for every exported cmdlet, every parameter is
# described, the documented defaults are the code's defaults, the about topic is there and complete,
# and the manifest is ready for a gallery.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $data = Import-PowerShellDataFile -LiteralPath (Get-TestModuleManifest)
    $cmdletCases = @($data['CmdletsToExport'] | Where-Object { $_ } | ForEach-Object { @{ Name = [string]$_ } })
    # Never an empty -ForEach (Pester 6 fails the file on it): an empty list becomes a failing case.
    if (-not $cmdletCases) { $cmdletCases = @(@{ Name = '(CmdletsToExport is empty)' }) }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ManifestPath = Get-TestModuleManifest
    $script:Module = Import-Module $script:ManifestPath -Force -PassThru
    $script:Common = @([System.Management.Automation.PSCmdlet]::CommonParameters) + 'UseTransaction'

    # All text of a help object's paragraphs, joined.
    function Get-HelpText($Node) {
        (@($Node) | Where-Object { $_ } | ForEach-Object { $_.Text }) -join "`n"
    }

    # '10 seconds', '1 hour', '1 minute' -> TimeSpan; $null when the text is not a duration.
    function ConvertFrom-DurationText([string] $Text) {
        if ($Text -match '^\s*(\d+(?:\.\d+)?)\s*(second|minute|hour|day)s?\b') {
            $n = [double]$Matches[1]
            switch ($Matches[2]) {
                'second' { return [TimeSpan]::FromSeconds($n) }
                'minute' { return [TimeSpan]::FromMinutes($n) }
                'hour' { return [TimeSpan]::FromHours($n) }
                'day' { return [TimeSpan]::FromDays($n) }
            }
        }
        $null
    }

    # Does the documented default text state this value? Numbers and enums must lead the text
    # ('65536 (64 KiB)'), lists are comma-separated, durations are written out ('10 seconds').
    function Test-DefaultText([string] $Text, $Value) {
        if ($Value -is [TimeSpan]) { return (ConvertFrom-DurationText $Text) -eq $Value }
        if ($Value -is [Array]) { return ($Text -split '\s*\(')[0].Trim() -eq (($Value | ForEach-Object { [string]$_ }) -join ', ') }
        ($Text -split '\s*\(')[0].Trim() -eq [string]$Value
    }
}

Describe 'Help of <Name>' -ForEach $cmdletCases {
    BeforeAll {
        $command = Get-Command $Name -Module ZeroCopyPS -CommandType Cmdlet -ErrorAction SilentlyContinue
        $help = if ($command) { Get-Help $Name -Full } else { $null }
        $parameterNames = if ($command) { @($command.Parameters.Keys | Where-Object { $_ -notin $script:Common }) } else { @() }
    }

    It 'is an exported cmdlet' {
        $command | Should -Not -BeNullOrEmpty -Because "the manifest exports '$Name'"
    }

    It 'has a real synopsis, not the syntax-only stub' {
        $synopsis = ([string]$help.Synopsis).Trim()
        $synopsis | Should -Not -BeNullOrEmpty
        # Without external help, PowerShell's synopsis is the syntax line: "Start-ZeroCopyProxy [-Listen] <string[]> ...".
        $synopsis | Should -Not -Match ('^\s*' + [regex]::Escape($Name) + '\s+[\[\-<]')
        $synopsis | Should -Not -Match '\{\{|\bTODO\b'
        $synopsis.Length | Should -BeGreaterThan 30
    }

    It 'has a description' {
        $description = Get-HelpText $help.description
        $description.Length | Should -BeGreaterThan 100
        $description | Should -Not -Match '\{\{|\bTODO\b'
    }

    It 'has at least two examples, each with code and an explanation' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($example in $examples) {
            ([string]$example.code).Trim() | Should -Not -BeNullOrEmpty -Because "$($example.title) needs code"
            (Get-HelpText $example.remarks).Trim() | Should -Not -BeNullOrEmpty -Because "$($example.title) needs an explanation"
        }
        # -Examples shows the same examples.
        @((Get-Help $Name -Examples).examples.example).Count | Should -Be $examples.Count
    }

    It 'describes every parameter of Get-Command in Get-Help -Parameter' {
        $parameterNames | Should -Not -BeNullOrEmpty
        $undescribed = foreach ($parameter in $parameterNames) {
            $entry = Get-Help $Name -Parameter $parameter -ErrorAction SilentlyContinue
            $text = if ($entry) { (Get-HelpText $entry.description).Trim() } else { '' }
            if (-not $text -or $text -match '\{\{|\bTODO\b') { $parameter }
        }
        $undescribed | Should -BeNullOrEmpty -Because 'every parameter needs a description in docs/cmdlets'
    }

    It 'documents no parameter the cmdlet does not have' {
        $documented = @($help.parameters.parameter | ForEach-Object { [string]$_.name })
        $stale = @($documented | Where-Object { $_ -notin $parameterNames })
        $stale | Should -BeNullOrEmpty
    }

    It 'states type, position, pipeline input and a default for every parameter' {
        $problems = foreach ($parameter in @($help.parameters.parameter)) {
            $actual = $command.Parameters[[string]$parameter.name]
            if (-not $actual) { continue }
            if ([string]$parameter.type.name -ne $actual.ParameterType.Name) { "-$($parameter.name): type '$($parameter.type.name)' is not '$($actual.ParameterType.Name)'" }
            if (-not ([string]$parameter.defaultValue).Trim()) { "-$($parameter.name): no default value" }
            $byValue = @($actual.ParameterSets.Values | Where-Object ValueFromPipeline).Count -gt 0
            $byName = @($actual.ParameterSets.Values | Where-Object ValueFromPipelineByPropertyName).Count -gt 0
            $pipeline = [string]$parameter.pipelineInput
            if (($byValue -or $byName) -ne ($pipeline -like 'True*')) { "-$($parameter.name): pipeline input '$pipeline' (ByValue $byValue, ByPropertyName $byName)" }
            if ($byValue -and $pipeline -notmatch 'ByValue') { "-$($parameter.name): ByValue missing from '$pipeline'" }
            if ($byName -and $pipeline -notmatch 'ByPropertyName') { "-$($parameter.name): ByPropertyName missing from '$pipeline'" }
        }
        $problems | Should -BeNullOrEmpty
    }

    It 'shows one syntax per parameter set' {
        @($help.syntax.syntaxItem).Count | Should -Be @($command.ParameterSets).Count
    }

    It 'names every [OutputType] in its outputs' {
        $outputs = @($help.returnValues.returnValue | ForEach-Object { ([string]$_.type.name).Trim() })
        # A command that writes nothing (Stop-ZeroCopyConnection) declares no output type.
        foreach ($type in @($command.OutputType | ForEach-Object { $_.Name })) { $outputs | Should -Contain $type }
    }

    It 'documents the defaults the code really uses' {
        # A new command instance holds every default: its own initialisers, and for Start-ZeroCopyProxy the
        # engine's ProxyOptions copied in by its constructor (ProxyOptionBinding), the one place they are written.
        $instance = [Activator]::CreateInstance($command.ImplementingType)
        $expected = @{}
        foreach ($parameter in $parameterNames) {
            $property = $command.ImplementingType.GetProperty($parameter)
            if (-not $property) { continue }
            $value = $property.GetValue($instance)
            if ($value -is [System.Management.Automation.SwitchParameter]) { $value = [bool]$value }
            $expected[$parameter] = $value
        }
        if ($Name -eq 'Start-ZeroCopyProxy') { $expected['UnixSocketMode'] = '0' + [Convert]::ToString($expected['UnixSocketMode'], 8) }   # documented the way chmod writes it
        # Defaults that are another object's: Stop's drain is the proxy's own -DrainTimeout unless given.
        if ($Name -eq 'Stop-ZeroCopyProxy') { $expected.Remove('DrainTimeout') }
        if ($instance -is [IDisposable]) { $instance.Dispose() }

        $wrong = foreach ($parameter in $expected.Keys) {
            $value = $expected[$parameter]
            # A parameter every call must give has no default, whatever its property starts with (Add-ZeroCopyFault -Type).
            if (@($command.Parameters[$parameter].ParameterSets.Values | Where-Object { -not $_.IsMandatory }).Count -eq 0) { continue }
            if ($null -eq $value -or ($value -is [Array] -and $value.Count -eq 0) -or ($value -is [string] -and -not $value)) { continue }
            $text = [string](Get-Help $Name -Parameter $parameter).defaultValue
            if (-not (Test-DefaultText $text $value)) { "-${parameter}: documented '$text', code uses '$(@($value) -join ', ')'" }
        }
        $wrong | Should -BeNullOrEmpty
    }
}

Describe 'about_ZeroCopyPS' {
    BeforeAll {
        $topic = (Get-Help about_ZeroCopyPS -ErrorAction SilentlyContinue | Out-String)
    }

    It 'is in the staged module as en-US/about_ZeroCopyPS.help.txt' {
        Join-Path $script:Module.ModuleBase 'en-US/about_ZeroCopyPS.help.txt' | Should -Exist
    }

    It 'is shown by Get-Help about_ZeroCopyPS' {
        $topic | Should -Match 'about_ZeroCopyPS'
        $topic | Should -Match 'SHORT DESCRIPTION'
        $topic | Should -Match 'LONG DESCRIPTION'
        $topic | Should -Not -Match '\{\{|\bTODO\b'
    }

    It 'explains every ConnectionStatistics field' {
        $fields = [ZeroCopyPS.Engine.ConnectionStatistics].GetProperties().Name
        $missing = @($fields | Where-Object { $topic -notmatch "\b$_\b" })
        $missing | Should -BeNullOrEmpty
    }

    It 'names every CopyMode, CopyPath, FallbackReason and CloseReason value' {
        $types = [ZeroCopyPS.Engine.CopyMode], [ZeroCopyPS.Engine.CopyPath], [ZeroCopyPS.Engine.FallbackReason], [ZeroCopyPS.Engine.CloseReason]
        $missing = foreach ($type in $types) {
            foreach ($value in [Enum]::GetNames($type)) { if ($topic -notmatch "\b$value\b") { "$($type.Name).$value" } }
        }
        $missing | Should -BeNullOrEmpty
    }

    It 'states the Auto threshold the engine uses' {
        $kib = [ZeroCopyPS.Engine.ProxyOptionsDefaults]::AutoSpliceThresholdBytes / 1KB
        $topic | Should -Match "\b$kib KiB\b"
    }

    It 'covers the kernel settings, the session exit and the platforms' {
        foreach ($phrase in 'pipe-max-size', 'pipe-user-pages-soft', 'ulimit -n', 'WHEN THE SESSION EXITS', 'PLATFORM SUPPORT', 'LIMITS AND TIMEOUTS', 'epoll', 'splice') {
            $topic | Should -Match ([regex]::Escape($phrase))
        }
    }
}

Describe 'ZeroCopyPS manifest' {
    BeforeAll {
        $data = Import-PowerShellDataFile -LiteralPath $script:ManifestPath
        $psData = $data['PrivateData']['PSData']
    }

    It 'passes Test-ModuleManifest' {
        { Test-ModuleManifest -Path $script:ManifestPath -ErrorAction Stop } | Should -Not -Throw
        (Test-ModuleManifest -Path $script:ManifestPath).Name | Should -Be 'ZeroCopyPS'
    }

    It 'lists its exported cmdlets explicitly, and exactly those the module has' {
        $listed = @($data['CmdletsToExport'])
        $listed | Should -Not -BeNullOrEmpty
        ($listed | Where-Object { [System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($_) }) | Should -BeNullOrEmpty
        $actual = @(Get-Command -Module ZeroCopyPS -CommandType Cmdlet | ForEach-Object Name)
        @($listed | Sort-Object) | Should -Be @($actual | Sort-Object)
        foreach ($key in 'FunctionsToExport', 'AliasesToExport', 'VariablesToExport') {
            $data.ContainsKey($key) | Should -BeTrue -Because "$key should be listed explicitly (an empty list), not left to a wildcard"
            ($data[$key] | Where-Object { $_ -match '\*' }) | Should -BeNullOrEmpty
        }
    }

    It 'has gallery metadata: Tags, ProjectUri, LicenseUri, ReleaseNotes' {
        @($psData['Tags']) | Should -Not -BeNullOrEmpty
        @($psData['Tags'] | Where-Object { $_ -match '\s' }) | Should -BeNullOrEmpty -Because 'gallery tags cannot contain spaces'
        foreach ($key in 'ProjectUri', 'LicenseUri') {
            $uri = $null
            [Uri]::TryCreate([string]$psData[$key], [UriKind]::Absolute, [ref]$uri) | Should -BeTrue -Because "$key must be an absolute URI"
        }
        ([string]$psData['ReleaseNotes']).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'ships its license with the source' {
        Join-Path $PSScriptRoot '../../LICENSE' | Should -Exist
    }
}
