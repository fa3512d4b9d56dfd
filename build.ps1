#!/usr/bin/env pwsh
<#
.SYNOPSIS
Builds, stages, tests and demos the ZeroCopyPS module.

.DESCRIPTION
Tasks run in the order given; -Task Clean,Build works (in -File mode pwsh hands "Clean,Build"
over as one string, so the list is split here).

  Clean    Remove out/, bin/ and obj/ under src/, tests/ and benchmarks/, TestResults/ folders and .tools/.
  Build    dotnet build ZeroCopyPS.sln, stage the module to out/ZeroCopyPS/, then Help.
  Help     scripts/Build-Help.ps1 on out/ZeroCopyPS: docs/cmdlets -> en-US/ZeroCopyPS.dll-Help.xml
           and docs/about -> en-US/about_ZeroCopyPS.help.txt; fails on missing/stale/placeholder docs.
  Package  Build, then scripts/New-Package.ps1: out/packages/ZeroCopyPS.<version>.nupkg.
  Test     Build, then xunit (counts read from .trx files), Pester 6.2.0 in a child pwsh (counts read
           from a JSON file) and the BenchmarkDotNet smoke run (one test). About 5 minutes on 2 cores.
           Prints one line per suite and, last, "N passed, N failed, N skipped"; the full output of each
           suite is in out/TestResults/<suite>.log. Exits 1 if anything failed or no test ran.
  Demo     Build the module only (no tests, no benchmarks), stage it, run scripts/Demo.ps1 in a child pwsh.
  Example  Build the module only, restore Pester, and run the README's Pester examples
           (tests/Pester/Readme.Validation.Tests.ps1, tests/Pester/Faults.Example.Tests.ps1) with the
           staged module on PSModulePath.
  Bench    Build, then Measure-SocketCopy, BenchmarkDotNet --job short and scripts/Compare-Peers.ps1
           (installs haproxy, socat, golang-go when root and missing); results in out/bench/.

Child processes get NO_COLOR=1, ZEROCOPYPS_MODULE_PATH (absolute path of out/ZeroCopyPS) and
ZEROCOPYPS_TESTSUPPORT_PATH (the built tests/ZeroCopyPS.TestSupport.dll, for the Pester helpers).

.EXAMPLE
dotnet tool restore && dotnet pwsh -NoProfile -File ./build.ps1 -Task Test

.EXAMPLE
dotnet pwsh -NoProfile -File ./build.ps1 -Task Test -XunitFilter 'FullyQualifiedName~Splice'
#>
[CmdletBinding()]
param(
    [string[]] $Task = 'Build',

    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    # dotnet test --filter expression, to run a subset of the xunit tests while developing.
    # Default: everything (or $env:ZEROCOPYPS_XUNIT_FILTER when set).
    [string] $XunitFilter = $env:ZEROCOPYPS_XUNIT_FILTER,

    # Pester FullName wildcard(s), comma-separated. Default: everything (or $env:ZEROCOPYPS_PESTER_FILTER).
    [string] $PesterFilter = $env:ZEROCOPYPS_PESTER_FILTER
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
# A failing dotnet (or child pwsh) must stop the build; the test runners opt out locally.
$PSNativeCommandUseErrorActionPreference = $true
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path $PSScriptRoot 'scripts/ZeroCopyPS.Scripts.psm1') -Force

$RepoRoot      = $PSScriptRoot
$Solution      = Join-Path $RepoRoot 'ZeroCopyPS.sln'
$OutDir        = Join-Path $RepoRoot 'out'
$StageDir      = Join-Path $OutDir 'ZeroCopyPS'
$ResultsDir    = Join-Path $OutDir 'TestResults'
$ToolsDir      = Join-Path $RepoRoot '.tools'
$PesterVersion = '6.2.0'
$ModuleFramework = Get-RepoProperty 'ModuleTargetFramework'
$ModuleFiles   = 'ZeroCopyPS', 'ZeroCopyPS.Engine', 'Prometheus.NetStandard', 'Microsoft.Extensions.ObjectPool'  # assemblies staged (with their .pdb/.xml when built here); the last two serve the metrics endpoint
$ModuleData    = 'ZeroCopyPS.format.ps1xml', 'ZeroCopyPS.types.ps1xml'  # staged from the build output

# Plain output from every child (dotnet, pwsh, Pester) so logs stay readable.
$env:NO_COLOR = '1'
$env:DOTNET_NOLOGO = '1'

$script:Built = $false

function Write-Step([string] $Message) {
    Write-Host ''
    Write-Host "==> $Message"
}

function Remove-PathIfPresent([string] $Path) {
    if (Test-Path -LiteralPath $Path) { Remove-Item -LiteralPath $Path -Recurse -Force }
}

# Runs dotnet with its output in out/logs/<Name>.log; prints one line, or the errors and the log's path.
function Invoke-DotnetLogged([string] $Name, [string[]] $Arguments, [switch] $AllowFailure) {
    $log = Join-Path $OutDir "logs/$Name.log"
    $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $log)
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $PSNativeCommandUseErrorActionPreference = $false
    & dotnet @Arguments *> $log
    $exitCode = $LASTEXITCODE
    if ($exitCode -ne 0 -and -not $AllowFailure) {
        Select-String -LiteralPath $log -Pattern ': error ' | Select-Object -First 20 | ForEach-Object { Write-Host "  $($_.Line.Trim())" }
        throw "dotnet $($Arguments[0]) failed (exit $exitCode); the whole output is in $log"
    }
    Write-Host ("  dotnet {0}: {1:N0} s (log: {2})" -f $Arguments[0], $clock.Elapsed.TotalSeconds, [IO.Path]::GetRelativePath($RepoRoot, $log))
    $exitCode
}

# ---------------------------------------------------------------------------------- Clean

function Invoke-CleanTask {
    Write-Step 'Clean'
    Remove-PathIfPresent $OutDir
    Remove-PathIfPresent $ToolsDir
    foreach ($top in 'src', 'tests', 'benchmarks') {
        $root = Join-Path $RepoRoot $top
        if (-not (Test-Path -LiteralPath $root)) { continue }
        Get-ChildItem -LiteralPath $root -Directory -Recurse -Include 'bin', 'obj', 'TestResults', 'BenchmarkDotNet.Artifacts' |
            Sort-Object { $_.FullName.Length } |   # parents first; children vanish with them
            ForEach-Object { Remove-PathIfPresent $_.FullName }
    }
    Remove-PathIfPresent (Join-Path $RepoRoot 'TestResults')
    Remove-PathIfPresent (Join-Path $RepoRoot 'testResults.xml')
}

# ---------------------------------------------------------------------------------- Build

# -ModuleOnly: the module's project (and the engine it references), for Demo; otherwise the whole
# solution (tests, test support, benchmarks). Both stage the module and build its help.
function Invoke-BuildTask([switch] $ModuleOnly) {
    if ($script:Built) { return }   # Test and Demo both depend on Build; do it once per invocation
    $what = if ($ModuleOnly) { Join-Path $RepoRoot 'src/ZeroCopyPS/ZeroCopyPS.csproj' } else { $Solution }
    Write-Step "Build ($Configuration): $([IO.Path]::GetFileName($what))"
    $null = Invoke-DotnetLogged 'build' @('build', $what, '-c', $Configuration, '-nologo')
    Invoke-StageModule
    Invoke-HelpTask
    $script:Built = $true
}

# Copies exactly the files the module needs into out/ZeroCopyPS/ (nothing from the build
# output's reference assemblies such as System.Management.Automation.dll), then validates the
# manifest there.
function Invoke-StageModule {
    Write-Step "Stage module to $StageDir"
    $binDir = Join-Path $RepoRoot "src/ZeroCopyPS/bin/$Configuration/$ModuleFramework"
    if (-not (Test-Path -LiteralPath $binDir)) { throw "Build output not found: $binDir" }

    Remove-PathIfPresent $StageDir
    $null = New-Item -ItemType Directory -Force -Path $StageDir
    foreach ($name in $ModuleFiles) {
        $dll = Join-Path $binDir "$name.dll"
        if (-not (Test-Path -LiteralPath $dll)) { throw "Missing build output: $dll" }
        Copy-Item -LiteralPath $dll -Destination $StageDir
        foreach ($ext in '.pdb', '.xml') {
            $extra = Join-Path $binDir "$name$ext"
            if (Test-Path -LiteralPath $extra) { Copy-Item -LiteralPath $extra -Destination $StageDir }
        }
    }
    foreach ($file in $ModuleData) {
        $path = Join-Path $binDir $file
        if (-not (Test-Path -LiteralPath $path)) { throw "Missing build output: $path (src/ZeroCopyPS/Output/$file)" }
        Copy-Item -LiteralPath $path -Destination $StageDir
    }
    Copy-Item -LiteralPath (Join-Path $RepoRoot 'ZeroCopyPS.psd1') -Destination $StageDir
    Copy-Item -LiteralPath (Join-Path $RepoRoot 'LICENSE') -Destination $StageDir

    # One version number: Directory.Build.props is the source, the manifest must agree.
    $manifest = Test-ModuleManifest -Path (Join-Path $StageDir 'ZeroCopyPS.psd1')
    if ($manifest.Version.ToString() -ne (Get-RepoProperty 'Version')) {
        throw "ZeroCopyPS.psd1 ModuleVersion $($manifest.Version) differs from Directory.Build.props Version $(Get-RepoProperty 'Version')"
    }
    Write-Host "  staged ZeroCopyPS $($manifest.Version): $((Get-ChildItem -LiteralPath $StageDir -Name) -join ', ')"
}

# ---------------------------------------------------------------------------------- Help

# docs/cmdlets (platyPS schema 2.0.0 markdown) + Get-Command metadata -> en-US MAML, and docs/about
# -> en-US/about_ZeroCopyPS.help.txt. Runs in a child pwsh (a loaded binary module locks its dll)
# and fails the build on a missing, stale or placeholder page.
function Invoke-HelpTask {
    Write-Step 'Help (docs -> en-US MAML and about topic)'
    if (-not (Test-Path -LiteralPath (Join-Path $StageDir 'ZeroCopyPS.psd1'))) {
        throw "Help: no staged module at $StageDir; run -Task Build first."
    }
    $rc = Invoke-ChildPwsh @('-File', (Join-Path $RepoRoot 'scripts/Build-Help.ps1'), '-ModulePath', $StageDir, '-DocsPath', (Join-Path $RepoRoot 'docs'))
    if ($rc -ne 0) { throw "Build-Help.ps1 failed (exit $rc)." }
}

# ---------------------------------------------------------------------------------- Package
function Invoke-PackageTask {
    Invoke-BuildTask
    Write-Step 'Package (Compress-PSResource)'
    $rc = Invoke-ChildPwsh @('-File', (Join-Path $RepoRoot 'scripts/New-Package.ps1'), '-ModulePath', $StageDir, '-OutputPath', (Join-Path $OutDir 'packages'))
    if ($rc -ne 0) { throw "New-Package.ps1 failed (exit $rc)." }
}

# ---------------------------------------------------------------------------------- Test

Import-Module (Join-Path $RepoRoot 'scripts/build/TestSuites.psm1') -Force

# Returns $true when everything passed and at least one test ran.
function Invoke-TestTask {
    Write-Host 'Test: build, xunit (about 1.5 min), Pester (about 3 min), benchmark smoke (about 20 s); about 5 min on 2 cores.'
    Write-Host "Each suite's full output goes to out/TestResults/<suite>.log; failed tests are named below."
    $clock = [Diagnostics.Stopwatch]::StartNew()
    # A build (or help) failure is a failed run that still ends with the one summary line CI reads.
    try {
        Invoke-BuildTask
        $environment = @{
            ZEROCOPYPS_MODULE_PATH = $StageDir
            ZEROCOPYPS_TESTSUPPORT_PATH = Join-Path $RepoRoot "tests/ZeroCopyPS.TestSupport/bin/$Configuration/$ModuleFramework/ZeroCopyPS.TestSupport.dll"
        }
        $null = New-Item -ItemType Directory -Force -Path $ResultsDir
        $suites = @(
            Invoke-XunitSuite -Solution $Solution -ResultsDir $ResultsDir -Configuration $Configuration -Filter $XunitFilter
            Invoke-PesterSuite -ResultsDir $ResultsDir -ToolsDir $ToolsDir -Version $PesterVersion -Environment $environment -Filter $PesterFilter
            Invoke-BenchmarkSmokeSuite -ResultsDir $ResultsDir
        )
    }
    catch {
        Write-Host "build.ps1: BUILD FAILED: $($_.Exception.Message)"
        $suites = @(New-SuiteResult 'build' -Failed 1 -Note 'the build failed; no test ran')
    }
    Write-TestSummary $suites $clock.Elapsed
}

# ---------------------------------------------------------------------------------- Bench

# The measurements behind docs/benchmarks.md (≈ 7 min): Measure-SocketCopy, BenchmarkDotNet
# --job short, and the peer comparison. Results land in out/bench/.
function Invoke-BenchTask {
    Invoke-BuildTask
    $benchDir = Join-Path $OutDir 'bench'
    $null = New-Item -ItemType Directory -Force -Path $benchDir
    Write-Step 'Measure-SocketCopy (child pwsh)'
    $json = Join-Path $benchDir 'measure-socketcopy.json'
    $null = Invoke-ChildPwsh @('-Command', "Import-Module '$StageDir'; `$m = Measure-SocketCopy -Size 64KB,1MB,16MB -Transport Tcp,Unix -Iterations 1000 -Duration 20; `$m | Format-Table | Out-String -Width 200 | Write-Host; `$m | ConvertTo-Json -EnumsAsStrings | Set-Content -LiteralPath '$json'")
    Write-Step 'Measure-SocketCopy -Source File (child pwsh)'
    $fileJson = Join-Path $benchDir 'measure-socketcopy-file.json'
    $null = Invoke-ChildPwsh @('-Command', "Import-Module '$StageDir'; `$m = Measure-SocketCopy -Source File -Size 64KB,1MB,16MB -Transport Tcp,Unix -Iterations 100 -Duration 20; `$m | Format-Table | Out-String -Width 200 | Write-Host; `$m | ConvertTo-Json -EnumsAsStrings | Set-Content -LiteralPath '$fileJson'")
    Write-Step 'BenchmarkDotNet (--job short)'
    & dotnet run -c Release --project (Join-Path $RepoRoot 'benchmarks/ZeroCopyPS.Benchmarks') -- --filter '*' --job short --artifacts (Join-Path $benchDir 'BenchmarkDotNet.Artifacts') | Out-Host
    Write-Step 'Peer comparison (scripts/Compare-Peers.ps1 in a child pwsh)'
    $null = Invoke-ChildPwsh @('-File', (Join-Path $RepoRoot 'scripts/Compare-Peers.ps1'), '-OutputPath', (Join-Path $benchDir 'peers'))
}

# ---------------------------------------------------------------------------------- Demo

function Invoke-DemoTask {
    Invoke-BuildTask -ModuleOnly
    Write-Step 'Demo (scripts/Demo.ps1 in a child pwsh)'
    $rc = Invoke-ChildPwsh @('-File', (Join-Path $RepoRoot 'scripts/Demo.ps1')) -Environment @{ ZEROCOPYPS_MODULE_PATH = $StageDir }
    if ($rc -ne 0) { throw "The demo failed (exit $rc)." }
}

# ---------------------------------------------------------------------------------- Example

# The README's Pester examples ("Validating a service with Pester", "Fault injection"), run the way their
# reader would run them: Pester's own output, the module imported by name (Import-Module ZeroCopyPS) from out/.
function Invoke-ExampleTask {
    Invoke-BuildTask -ModuleOnly
    Write-Step 'Example: Invoke-Pester tests/Pester/Readme.Validation.Tests.ps1, Faults.Example.Tests.ps1 (child pwsh)'
    $null = New-Item -ItemType Directory -Force -Path (Join-Path $OutDir 'logs')
    $pester = Install-PesterTool -ToolsDir $ToolsDir -Version $PesterVersion -Log (Join-Path $OutDir 'logs/pester-restore.log')
    $separator = [IO.Path]::PathSeparator
    $script = "Import-Module Pester -RequiredVersion $PesterVersion; " +
        "`$run = Invoke-Pester -Path ./tests/Pester/Readme.Validation.Tests.ps1, ./tests/Pester/Faults.Example.Tests.ps1 -Output Detailed -PassThru; " +
        'exit ($run.FailedCount + $run.FailedBlocksCount + $run.FailedContainersCount)'
    $rc = Invoke-ChildPwsh @('-Command', $script) -WorkingDirectory $RepoRoot -Environment @{
        PSModulePath = "$OutDir$separator$pester$separator$env:PSModulePath"; ZEROCOPYPS_MODULE_PATH = $null }
    if ($rc -ne 0) { throw "The README's Pester examples failed ($rc)." }
}

# ---------------------------------------------------------------------------------- main

$knownTasks = 'Clean', 'Build', 'Help', 'Package', 'Test', 'Demo', 'Example', 'Bench'
$taskList = @($Task | ForEach-Object { $_ -split ',' } | ForEach-Object { $_.Trim() } | Where-Object { $_ })
foreach ($t in $taskList) {
    if ($t -notin $knownTasks) {
        Write-Host "build.ps1: unknown task '$t'. Known tasks: $($knownTasks -join ', ')"
        exit 2
    }
}

$exitCode = 0
Push-Location -LiteralPath $RepoRoot
try {
    foreach ($t in $taskList) {
        $canonical = $knownTasks | Where-Object { $_ -eq $t }   # -eq is case-insensitive
        switch ($canonical) {
            'Clean' { Invoke-CleanTask }
            'Build' { Invoke-BuildTask }
            'Help'  { Invoke-HelpTask }
            'Package' { Invoke-PackageTask }
            'Test'  { if (-not (Invoke-TestTask)) { $exitCode = 1 } }
            'Demo'  { Invoke-DemoTask }
            'Example' { Invoke-ExampleTask }
            'Bench' { Invoke-BenchTask }
        }
    }
}
catch {
    Write-Host "build.ps1: FAILED: $($_.Exception.Message)"
    if ($_.ScriptStackTrace) { Write-Host $_.ScriptStackTrace }
    $exitCode = 1
}
finally {
    Pop-Location
}
exit $exitCode
