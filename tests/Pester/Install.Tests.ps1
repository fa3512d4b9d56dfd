# Install-Module and Install-PSResource from a temporary folder repository, each in its own isolated
# home (HOME and XDG folders) and module path, then a fresh pwsh imports ZeroCopyPS by name, proxies
# bytes through it and reads its help. PSResourceGet and PowerShellGet keep their repository lists
# under the home, so the real home must end up exactly as it was: that is asserted last.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:RepoRoot = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).ProviderPath
    $script:TestHelpers = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot 'TestHelpers.psm1')).ProviderPath
    $script:StagedManifest = Get-TestModuleManifest
    $script:StagedRoot = Split-Path -Parent $script:StagedManifest
    $script:Version = [string](Import-PowerShellDataFile -LiteralPath $script:StagedManifest)['ModuleVersion']
    $script:RepositoryName = 'ZeroCopyPSTest' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:Repository = Join-Path $TestDrive 'repository'
    $null = New-Item -ItemType Directory -Force -Path $script:Repository

    # The synopsis the packaged MAML holds for Start-ZeroCopyProxy: what Get-Help must show after install.
    $maml = [xml](Get-Content -Raw -LiteralPath (Join-Path $script:StagedRoot 'en-US/ZeroCopyPS.dll-Help.xml'))
    $ns = [System.Xml.XmlNamespaceManager]::new($maml.NameTable)
    $ns.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
    $ns.AddNamespace('maml', 'http://schemas.microsoft.com/maml/2004/10')
    $script:ExpectedSynopsis = $maml.SelectSingleNode("//command:command[command:details/command:name='Start-ZeroCopyProxy']/command:details/maml:description/maml:para", $ns).InnerText.Trim()

    # Runs a script in a child pwsh (the same PowerShell as this one) with its own environment and
    # current folder, bounded in time. Nothing of this process's environment is changed.
    function Invoke-ChildScript {
        param(
            [Parameter(Mandatory)] [string] $Script,
            [string[]] $Arguments = @(),
            [hashtable] $Environment = @{},
            [string] $WorkingDirectory = $TestDrive,
            [int] $TimeoutSeconds = 180
        )
        $file = Join-Path $TestDrive ('child-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.ps1')
        Set-Content -LiteralPath $file -Value $Script -Encoding utf8NoBOM
        $log = "$file.log"
        $variables = @{ NO_COLOR = '1'; POWERSHELL_TELEMETRY_OPTOUT = '1'; POWERSHELL_UPDATECHECK = 'Off' }
        foreach ($key in $Environment.Keys) { $variables[$key] = $Environment[$key] }
        $exitCode = Invoke-ChildPwsh -Arguments (@('-File', $file) + $Arguments) -Environment $variables -WorkingDirectory $WorkingDirectory `
            -TimeoutMinutes ($TimeoutSeconds / 60) -LogPath $log
        if ($exitCode -eq 124) { throw "The child pwsh running $file did not finish within $TimeoutSeconds s." }
        [pscustomobject]@{ ExitCode = $exitCode; Output = "$(Get-Content -Raw -LiteralPath $log)".Trim() }
    }

    # An isolated home: HOME and the XDG folders under it (created: PSResourceGet writes to the
    # current folder when its data folder does not exist), a module path with nothing in it, and no
    # pointer to the staged module, so only an installed ZeroCopyPS can be imported by name.
    function New-IsolatedHome([string] $Path) {
        foreach ($dir in '.config', '.local/share', '.cache', 'empty-module-path', 'work') { $null = New-Item -ItemType Directory -Force -Path (Join-Path $Path $dir) }
        @{
            HOME                   = $Path
            XDG_CONFIG_HOME        = Join-Path $Path '.config'
            XDG_DATA_HOME          = Join-Path $Path '.local/share'
            XDG_CACHE_HOME         = Join-Path $Path '.cache'
            PSModulePath           = Join-Path $Path 'empty-module-path'
            ZEROCOPYPS_MODULE_PATH = $null
        }
    }

    # Files where PSResourceGet, PowerShellGet and NuGet keep repository registrations in a home, plus
    # the user module folder; and the repository root, where a misplaced registration would land.
    function Get-RegistrationFiles {
        $homeDir = if ($env:HOME) { $env:HOME } else { [Environment]::GetFolderPath('UserProfile') }
        $data = if ($env:XDG_DATA_HOME) { $env:XDG_DATA_HOME } else { Join-Path $homeDir '.local/share' }
        $cache = if ($env:XDG_CACHE_HOME) { $env:XDG_CACHE_HOME } else { Join-Path $homeDir '.cache' }
        $config = if ($env:XDG_CONFIG_HOME) { $env:XDG_CONFIG_HOME } else { Join-Path $homeDir '.config' }
        $paths = @(
            Join-Path $data 'PSResourceGet/PSResourceRepository.xml'
            Join-Path $cache 'powershell/PowerShellGet/PSRepositories.xml'
            Join-Path $data 'powershell/PowerShellGet/PSRepositories.xml'
            Join-Path $config 'NuGet/NuGet.Config'
            Join-Path $config 'NuGet/nuget.config'
            Join-Path $data 'powershell/Modules/ZeroCopyPS'
            Join-Path $script:RepoRoot 'NuGet.Config'
            Join-Path $script:RepoRoot 'NuGet/NuGet.Config'
            Join-Path $script:RepoRoot 'PSResourceGet'
            Join-Path $script:RepoRoot 'tests/Pester/PSResourceGet'
        )
        if ($env:LOCALAPPDATA) { $paths += Join-Path $env:LOCALAPPDATA 'PSResourceGet/PSResourceRepository.xml'; $paths += Join-Path $env:LOCALAPPDATA 'Microsoft/Windows/PowerShell/PowerShellGet/PSRepositories.xml' }
        $paths | Select-Object -Unique
    }

    function Get-RegistrationSnapshot {
        $snapshot = [ordered]@{}
        foreach ($path in Get-RegistrationFiles) {
            $snapshot[$path] = if (Test-Path -LiteralPath $path -PathType Leaf) { (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash }
            elseif (Test-Path -LiteralPath $path) { 'directory' }
            else { 'absent' }
        }
        $snapshot
    }

    $script:RealHomeBefore = Get-RegistrationSnapshot

    # The package: out/packages' when it was made from this very staged module after its last change,
    # otherwise a new one made by scripts/New-Package.ps1 from the module under test.
    $staged = Join-Path $script:RepoRoot 'out/ZeroCopyPS'
    $existing = Join-Path $script:RepoRoot "out/packages/ZeroCopyPS.$($script:Version).nupkg"
    $newestStaged = (Get-ChildItem -LiteralPath $script:StagedRoot -Recurse -File | Measure-Object -Property LastWriteTimeUtc -Maximum).Maximum
    $script:PackageSource = $null
    if ((Test-Path -LiteralPath $existing) -and (Test-Path -LiteralPath $staged) -and
        (Resolve-Path -LiteralPath $staged).ProviderPath -eq $script:StagedRoot -and
        (Get-Item -LiteralPath $existing).LastWriteTimeUtc -ge $newestStaged) {
        Copy-Item -LiteralPath $existing -Destination $script:Repository
        $script:PackageSource = "reused $existing"
    }
    else {
        $packing = Invoke-ChildScript -Script @'
param([string] $Script, [string] $ModulePath, [string] $OutputPath)
& $Script -ModulePath $ModulePath -OutputPath $OutputPath
exit $LASTEXITCODE
'@ -Arguments @((Join-Path $script:RepoRoot 'scripts/New-Package.ps1'), $script:StagedRoot, $script:Repository)
        $script:PackageSource = "New-Package.ps1 (exit $($packing.ExitCode)): $($packing.Output)"
    }
    $script:Package = Join-Path $script:Repository "ZeroCopyPS.$($script:Version).nupkg"
}

Describe 'Installing ZeroCopyPS from a folder repository' {
    It 'has a package ZeroCopyPS.<version>.nupkg with the module and its help' {
        $script:Package | Should -Exist -Because $script:PackageSource
        @(Get-ChildItem -LiteralPath $script:Repository -Filter '*.nupkg').Count | Should -Be 1
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($script:Package)
        try { $entries = @($zip.Entries.FullName) } finally { $zip.Dispose() }
        foreach ($name in 'ZeroCopyPS.psd1', 'ZeroCopyPS.dll', 'ZeroCopyPS.Engine.dll', 'ZeroCopyPS.format.ps1xml', 'en-US/ZeroCopyPS.dll-Help.xml', 'en-US/about_ZeroCopyPS.help.txt') {
            $entries | Should -Contain $name
        }
    }

    Context 'with <Installer>' -ForEach @(
        @{
            Installer = 'Install-Module'
            Script    = @'
param([string] $Repository, [string] $RepositoryName, [string] $ResultPath)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Register-PSRepository -Name $RepositoryName -SourceLocation $Repository -InstallationPolicy Trusted
try {
    Install-Module ZeroCopyPS -Repository $RepositoryName -Scope CurrentUser
    $installed = Get-InstalledModule ZeroCopyPS
    $result = [ordered]@{ Version = $installed.Version.ToString(); Location = $installed.InstalledLocation }
}
finally {
    Unregister-PSRepository -Name $RepositoryName
}
$result.Registered = @(Get-PSRepository | ForEach-Object Name)
$result | ConvertTo-Json | Set-Content -LiteralPath $ResultPath -Encoding utf8NoBOM
'@
        }
        @{
            Installer = 'Install-PSResource'
            Script    = @'
param([string] $Repository, [string] $RepositoryName, [string] $ResultPath)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Register-PSResourceRepository -Name $RepositoryName -Uri $Repository -Trusted
try {
    Install-PSResource ZeroCopyPS -Repository $RepositoryName -Scope CurrentUser
    $installed = Get-InstalledPSResource ZeroCopyPS
    $result = [ordered]@{ Version = $installed.Version.ToString(); Location = Join-Path $installed.InstalledLocation "ZeroCopyPS/$($installed.Version)" }
}
finally {
    Unregister-PSResourceRepository -Name $RepositoryName
}
$result.Registered = @(Get-PSResourceRepository | ForEach-Object Name)
$result | ConvertTo-Json | Set-Content -LiteralPath $ResultPath -Encoding utf8NoBOM
'@
        }
    ) {
        BeforeAll {
            $homePath = Join-Path $TestDrive ("home-$Installer")
            $environment = New-IsolatedHome $homePath
            $work = Join-Path $homePath 'work'

            $installResult = Join-Path $homePath 'install.json'
            $install = Invoke-ChildScript -Script $Script -Environment $environment -WorkingDirectory $work `
                -Arguments @($script:Repository, $script:RepositoryName, $installResult)
            $installed = if (Test-Path -LiteralPath $installResult) { Get-Content -Raw -LiteralPath $installResult | ConvertFrom-Json }

            # A fresh pwsh: import by name, proxy bytes to an echo server, stop, read statistics and help.
            $useResult = Join-Path $homePath 'use.json'
            $use = Invoke-ChildScript -Environment $environment -WorkingDirectory $work -Arguments @($script:TestHelpers, $useResult) -Script @'
param([string] $TestHelpers, [string] $ResultPath)
$ErrorActionPreference = 'Stop'
Import-Module $TestHelpers
$available = @(Get-Module ZeroCopyPS -ListAvailable)
Import-Module ZeroCopyPS
$module = Get-Module ZeroCopyPS
$echo = New-TestEchoServer
try {
    $job = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target $echo.EndPoint -Name installed-check
    $exchange = Invoke-TestExchange -Port (Get-TestListenPort $job) -Bytes 65536
    Stop-ZeroCopyProxy -InputObject $job
    $stats = @(Receive-Job $job)
    $state = $job.JobStateInfo.State.ToString()
    Remove-Job $job
}
finally {
    $echo.Dispose()
}
$help = Get-Help Start-ZeroCopyProxy -Full
$about = Get-Help about_ZeroCopyPS | Out-String
[ordered]@{
    Available           = @($available | ForEach-Object ModuleBase)
    ModuleBase          = $module.ModuleBase
    Version             = $module.Version.ToString()
    EchoMatches         = $exchange.EchoMatches
    BytesSent           = $exchange.BytesSent
    BytesReceived       = $exchange.BytesReceived
    ExchangeError       = $exchange.Error
    StatisticsCount     = $stats.Count
    BytesClientToTarget = if ($stats) { $stats[0].BytesClientToTarget } else { -1 }
    BytesTargetToClient = if ($stats) { $stats[0].BytesTargetToClient } else { -1 }
    CloseReason         = if ($stats) { $stats[0].CloseReason.ToString() } else { '' }
    State               = $state
    Synopsis            = ([string]$help.Synopsis).Trim()
    Examples            = @($help.examples.example).Count
    ListenDescription   = ((Get-Help Start-ZeroCopyProxy -Parameter Listen).description | ForEach-Object Text) -join ' '
    AboutShown          = $about -match 'about_ZeroCopyPS' -and $about -match 'SHORT DESCRIPTION'
} | ConvertTo-Json | Set-Content -LiteralPath $ResultPath -Encoding utf8NoBOM
'@
            $used = if (Test-Path -LiteralPath $useResult) { Get-Content -Raw -LiteralPath $useResult | ConvertFrom-Json }
        }

        It 'installs ZeroCopyPS into the isolated home' {
            $install.ExitCode | Should -Be 0 -Because $install.Output
            $installed | Should -Not -BeNullOrEmpty -Because $install.Output
            $installed.Version | Should -Be $script:Version
            $installed.Location | Should -BeLike "$homePath*"
            Join-Path $installed.Location 'ZeroCopyPS.psd1' | Should -Exist
            Join-Path $installed.Location 'en-US/ZeroCopyPS.dll-Help.xml' | Should -Exist
        }

        It 'leaves its repository unregistered in the isolated home' {
            $installed.Registered | Should -Not -Contain $script:RepositoryName
        }

        It 'imports ZeroCopyPS by name in a fresh pwsh, from the installed folder only' {
            $use.ExitCode | Should -Be 0 -Because $use.Output
            $used | Should -Not -BeNullOrEmpty -Because $use.Output
            @($used.Available).Count | Should -Be 1
            $used.ModuleBase | Should -BeLike "$homePath*"
            $used.Version | Should -Be $script:Version
        }

        It 'proxies bytes to an echo server and reports them' {
            $used.ExchangeError | Should -BeNullOrEmpty
            $used.EchoMatches | Should -BeTrue
            $used.BytesReceived | Should -Be 65536
            $used.StatisticsCount | Should -Be 1
            $used.BytesClientToTarget | Should -Be 65536
            $used.BytesTargetToClient | Should -Be 65536
            $used.CloseReason | Should -BeIn 'ClientClosed', 'TargetClosed'
            $used.State | Should -Be 'Stopped'
        }

        It 'shows the packaged help: Get-Help Start-ZeroCopyProxy and about_ZeroCopyPS' {
            $script:ExpectedSynopsis | Should -Not -BeNullOrEmpty
            $used.Synopsis | Should -Be $script:ExpectedSynopsis
            $used.Examples | Should -BeGreaterOrEqual 2
            $used.ListenDescription | Should -Match 'unix:'
            $used.AboutShown | Should -BeTrue
        }
    }

    It 'leaves nothing registered or installed in the real home' {
        $after = Get-RegistrationSnapshot
        foreach ($path in $script:RealHomeBefore.Keys) {
            $after[$path] | Should -Be $script:RealHomeBefore[$path] -Because "$path must not change"
        }
        foreach ($path in $after.Keys) {
            if ((Test-Path -LiteralPath $path -PathType Leaf) -and (Get-Content -Raw -LiteralPath $path) -match [regex]::Escape($script:RepositoryName)) {
                throw "$path names the test repository $($script:RepositoryName)"
            }
        }
    }
}
