#!/usr/bin/env pwsh
<#
.SYNOPSIS
Builds, stages, tests and demos the ZeroCopyPS module.

.DESCRIPTION
Tasks run in the order given; -Task Clean,Build works (in -File mode pwsh hands "Clean,Build"
over as one string, so the list is split here).

  Clean  Remove out/, bin/ and obj/ under src/ and tests/, TestResults/ folders and .tools/.
  Build  dotnet build ZeroCopyPS.sln, stage the module to out/ZeroCopyPS/, then Help.
  Help   scripts/Build-Help.ps1 on out/ZeroCopyPS: docs/cmdlets -> en-US/ZeroCopyPS.dll-Help.xml
         and docs/about -> en-US/about_ZeroCopyPS.help.txt; fails on missing/stale/placeholder docs.
  Package  Build, then scripts/New-Package.ps1: out/packages/ZeroCopyPS.<version>.nupkg.
  Test   Build, then xunit (counts read from .trx files), Pester 6.2.0 in a child pwsh (counts
         read from a JSON file) and the BenchmarkDotNet smoke run (one test). Prints one final line
         "N passed, N failed, N skipped" and exits 1 if anything failed or no test ran.
  Demo   Build, then run scripts/Demo.ps1 in a child pwsh against the staged module.
  Bench  Build, then Measure-SocketCopy, BenchmarkDotNet --job short and scripts/Compare-Peers.ps1
         (installs haproxy, socat, golang-go when root and missing); results in out/bench/.

Child processes get NO_COLOR=1 and ZEROCOPYPS_MODULE_PATH (absolute path of out/ZeroCopyPS).

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

$RepoRoot      = $PSScriptRoot
$Solution      = Join-Path $RepoRoot 'ZeroCopyPS.sln'
$OutDir        = Join-Path $RepoRoot 'out'
$StageDir      = Join-Path $OutDir 'ZeroCopyPS'
$ResultsDir    = Join-Path $OutDir 'TestResults'
$ToolsDir      = Join-Path $RepoRoot '.tools'
$PesterVersion = '6.2.0'
$ModuleFiles   = 'ZeroCopyPS', 'ZeroCopyPS.Engine'   # assemblies staged with their .pdb/.xml

# Plain output from every child (dotnet, pwsh, Pester) so logs stay readable.
$env:NO_COLOR = '1'

$script:Built = $false

function Write-Step([string] $Message) {
    Write-Host ''
    Write-Host "==> $Message"
}

# Children run on the very same PowerShell as this script. Under `dotnet pwsh` the process is
# dotnet running pwsh.dll from the local tool, so start `dotnet <PSHOME>/pwsh.dll`; under an
# installed pwsh, start that pwsh. Either way no second tool restore or PATH lookup is needed.
function Invoke-ChildPwsh([string[]] $Arguments, [int] $TimeoutMinutes = 0) {
    $self = [Environment]::ProcessPath
    $pwshDll = Join-Path $PSHOME 'pwsh.dll'
    $prefix = @()
    if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet' -and (Test-Path -LiteralPath $pwshDll)) {
        $prefix = @($pwshDll)
    }
    if ($TimeoutMinutes -le 0) {
        # Out-Host: the child's output is for the log, never part of a function's return value.
        & $self @prefix -NoProfile -NonInteractive @Arguments | Out-Host
        return
    }
    # Bounded: a hung test must fail the run, not eat CI's 90 minutes. The child shares our console,
    # so its output streams to the log as it happens; on timeout its whole process tree is ended.
    $startInfo = [Diagnostics.ProcessStartInfo]::new($self)
    foreach ($argument in @($prefix) + @('-NoProfile', '-NonInteractive') + $Arguments) { $startInfo.ArgumentList.Add($argument) }
    $startInfo.UseShellExecute = $false
    $child = [Diagnostics.Process]::Start($startInfo)
    if (-not $child.WaitForExit($TimeoutMinutes * 60 * 1000)) {
        Write-Host "  child pwsh (PID $($child.Id)) still running after $TimeoutMinutes min: ending it"
        $child.Kill($true)
        $child.WaitForExit()
        $global:LASTEXITCODE = 124
        return
    }
    $global:LASTEXITCODE = $child.ExitCode
}

function Remove-PathIfPresent([string] $Path) {
    if (Test-Path -LiteralPath $Path) { Remove-Item -LiteralPath $Path -Recurse -Force }
}

# ---------------------------------------------------------------------------------- Clean

function Invoke-CleanTask {
    Write-Step 'Clean'
    Remove-PathIfPresent $OutDir
    Remove-PathIfPresent $ToolsDir
    foreach ($top in 'src', 'tests') {
        $root = Join-Path $RepoRoot $top
        if (-not (Test-Path -LiteralPath $root)) { continue }
        Get-ChildItem -LiteralPath $root -Directory -Recurse -Include 'bin', 'obj', 'TestResults' |
            Sort-Object { $_.FullName.Length } |   # parents first; children vanish with them
            ForEach-Object { Remove-PathIfPresent $_.FullName }
    }
    Remove-PathIfPresent (Join-Path $RepoRoot 'TestResults')
    Remove-PathIfPresent (Join-Path $RepoRoot 'testResults.xml')
}

# ---------------------------------------------------------------------------------- Build

function Invoke-BuildTask {
    # Test and Demo both depend on Build; do it once per invocation.
    if ($script:Built) { return }
    Write-Step "Build ($Configuration)"
    & dotnet build $Solution -c $Configuration -nologo | Out-Host
    Invoke-StageModule
    Invoke-HelpTask
    $script:Built = $true
}

# Copies exactly the files the module needs into out/ZeroCopyPS/ (nothing from the build
# output's reference assemblies such as System.Management.Automation.dll), then validates the
# manifest there.
function Invoke-StageModule {
    Write-Step "Stage module to $StageDir"
    $binDir = Join-Path $RepoRoot "src/ZeroCopyPS/bin/$Configuration/net8.0"
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

    Copy-Item -LiteralPath (Join-Path $RepoRoot 'ZeroCopyPS.psd1') -Destination $StageDir
    Copy-Item -LiteralPath (Join-Path $RepoRoot 'LICENSE') -Destination $StageDir

    # The manifest lists ZeroCopyPS.format.ps1xml, so the staged folder must have one. Until the
    # real views exist in src/ZeroCopyPS, stage an empty (valid) format file.
    $format = Join-Path $RepoRoot 'src/ZeroCopyPS/ZeroCopyPS.format.ps1xml'
    $stagedFormat = Join-Path $StageDir 'ZeroCopyPS.format.ps1xml'
    if (Test-Path -LiteralPath $format) {
        Copy-Item -LiteralPath $format -Destination $stagedFormat
    }
    else {
        Write-Host "  (no src/ZeroCopyPS/ZeroCopyPS.format.ps1xml yet: staging an empty format file)"
        Set-Content -LiteralPath $stagedFormat -Encoding utf8NoBOM -Value @'
<?xml version="1.0" encoding="utf-8"?>
<Configuration>
  <ViewDefinitions />
</Configuration>
'@
    }

    # Help produced by the build (e.g. copied to the output by the csproj) travels along.
    $binHelp = Join-Path $binDir 'en-US'
    if (Test-Path -LiteralPath $binHelp) { Copy-Item -LiteralPath $binHelp -Destination $StageDir -Recurse }

    # One version number: Directory.Build.props is the source, the manifest must agree.
    $props = [xml](Get-Content -Raw -LiteralPath (Join-Path $RepoRoot 'Directory.Build.props'))
    $assemblyVersion = @($props.Project.PropertyGroup | ForEach-Object { $_['Version'] } | Where-Object { $_ })[0].InnerText
    $manifest = Test-ModuleManifest -Path (Join-Path $StageDir 'ZeroCopyPS.psd1')
    if ($manifest.Version.ToString() -ne $assemblyVersion) {
        throw "ZeroCopyPS.psd1 ModuleVersion $($manifest.Version) differs from Directory.Build.props Version $assemblyVersion"
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
    Invoke-ChildPwsh @('-File', (Join-Path $RepoRoot 'scripts/Build-Help.ps1'),
        '-ModulePath', $StageDir, '-DocsPath', (Join-Path $RepoRoot 'docs'))
}

# ---------------------------------------------------------------------------------- Package
function Invoke-PackageTask {
    Invoke-BuildTask
    Write-Step 'Package (Compress-PSResource)'
    Invoke-ChildPwsh @('-File', (Join-Path $RepoRoot 'scripts/New-Package.ps1'),
        '-ModulePath', $StageDir, '-OutputPath', (Join-Path $OutDir 'packages'))
}

# ---------------------------------------------------------------------------------- Test

function New-SuiteResult([string] $Suite, [int] $Passed = 0, [int] $Failed = 0, [int] $Skipped = 0, [string] $Note = '') {
    [pscustomobject]@{ Suite = $Suite; Passed = $Passed; Failed = $Failed; Skipped = $Skipped; Note = $Note }
}

function Invoke-XunitSuite {
    Write-Step 'xunit (dotnet test)'
    $dir = Join-Path $ResultsDir 'xunit'
    Remove-PathIfPresent $dir   # stale .trx files would be counted again
    $null = New-Item -ItemType Directory -Force -Path $dir

    # --blame-hang-*: a test that hangs for 10 minutes is killed and reported as failed, so one
    # stuck socket cannot eat the whole CI budget; no dump (it would be huge and unread).
    $arguments = @('test', $Solution, '--no-build', '-c', $Configuration, '--logger', 'trx', '--results-directory', $dir,
        '--blame-hang-timeout', '10m', '--blame-hang-dump-type', 'none')
    if ($XunitFilter) { $arguments += @('--filter', $XunitFilter) }

    # Failing tests must not stop the build: Pester still runs and the summary still prints.
    $PSNativeCommandUseErrorActionPreference = $false
    & dotnet @arguments | Out-Host
    $exitCode = $LASTEXITCODE

    # Counts come from the .trx files (one per test project), not from console output.
    $result = New-SuiteResult 'xunit'
    $failedNames = [System.Collections.Generic.List[string]]::new()
    $trxFiles = @(Get-ChildItem -LiteralPath $dir -Filter '*.trx' -Recurse -File)
    foreach ($trx in $trxFiles) {
        $xml = [xml](Get-Content -Raw -LiteralPath $trx.FullName)
        $results = $xml.TestRun.SelectNodes("//*[local-name()='Results']/*[local-name()='UnitTestResult']")
        foreach ($r in $results) {
            switch ($r.GetAttribute('outcome')) {
                'Passed'       { $result.Passed++ }
                'NotExecuted'  { $result.Skipped++ }   # xunit Skip = "..." ends up here
                'Inconclusive' { $result.Skipped++ }
                default        { $result.Failed++; $failedNames.Add($r.GetAttribute('testName')) }  # Failed, Error, Timeout, Aborted...
            }
        }
    }
    foreach ($name in $failedNames) { Write-Host "  FAILED: $name" }

    if ($exitCode -ne 0 -and $result.Failed -eq 0) {
        # Non-zero exit without a failed result: the test host crashed, a run was aborted, or
        # no .trx was written. Count it as one failure so it cannot pass silently.
        $result.Failed++
        $result.Note = "dotnet test exited $exitCode without a failed result in $($trxFiles.Count) .trx file(s)"
    }
    $result
}

# Restores Pester from NuGet via tests/tools/PesterRestore and copies the module (the
# package's tools/ folder) to .tools/Modules/Pester/<version>/. Returns .tools/Modules.
function Install-PesterTool {
    $moduleRoot = Join-Path $ToolsDir 'Modules'
    $target = Join-Path $moduleRoot "Pester/$PesterVersion"
    if (Test-Path -LiteralPath (Join-Path $target 'Pester.psd1')) { return $moduleRoot }

    Write-Host "  restoring Pester $PesterVersion from NuGet"
    $project = Join-Path $RepoRoot 'tests/tools/PesterRestore/PesterRestore.csproj'
    & dotnet restore $project "-p:PesterVersion=$PesterVersion" -nologo | Out-Host

    # project.assets.json names the global packages folder actually used (honours NUGET_PACKAGES
    # and NuGet.Config), without parsing localised CLI output.
    $assets = Get-Content -Raw -LiteralPath (Join-Path $RepoRoot 'tests/tools/PesterRestore/obj/project.assets.json') | ConvertFrom-Json
    $source = $null
    foreach ($folder in $assets.packageFolders.PSObject.Properties.Name) {
        $candidate = Join-Path $folder "pester/$PesterVersion/tools"
        if (Test-Path -LiteralPath (Join-Path $candidate 'Pester.psd1')) { $source = $candidate; break }
    }
    if (-not $source) { throw "Pester $PesterVersion was restored but its tools/Pester.psd1 was not found in: $($assets.packageFolders.PSObject.Properties.Name -join ', ')" }

    # Copy beside the target, then rename, so an interrupted copy is never taken as complete.
    $partial = "$target.partial"
    Remove-PathIfPresent $partial
    $null = New-Item -ItemType Directory -Force -Path $partial
    Copy-Item -Path (Join-Path $source '*') -Destination $partial -Recurse
    Remove-PathIfPresent $target
    Move-Item -LiteralPath $partial -Destination $target
    $moduleRoot
}

function Invoke-PesterSuite {
    Write-Step "Pester $PesterVersion (child pwsh)"
    $testDir = Join-Path $RepoRoot 'tests/Pester'
    if (-not (Test-Path -LiteralPath $testDir) -or -not (Get-ChildItem -LiteralPath $testDir -Filter '*.Tests.ps1' -Recurse -File)) {
        Write-Host '  no tests/Pester/*.Tests.ps1 yet: 0 tests'
        return (New-SuiteResult 'Pester' -Note 'no test files')
    }

    try { $moduleRoot = Install-PesterTool }
    catch {
        # Keep going so the summary line still prints; a missing Pester is a failed suite.
        Write-Host "  could not restore Pester: $($_.Exception.Message)"
        return (New-SuiteResult 'Pester' -Failed 1 -Note 'Pester restore failed')
    }
    $dir = Join-Path $ResultsDir 'pester'
    Remove-PathIfPresent $dir
    $null = New-Item -ItemType Directory -Force -Path $dir
    $json = Join-Path $dir 'summary.json'

    $arguments = @(
        '-File', (Join-Path $RepoRoot 'tests/tools/Invoke-Pester.ps1')
        '-TestPath', $testDir
        '-ModuleRoot', $moduleRoot
        '-ResultJson', $json
        '-ResultXml', (Join-Path $dir 'pester-results.xml')
        '-PesterVersion', $PesterVersion
    )
    if ($PesterFilter) { $arguments += @('-FullNameFilter', $PesterFilter) }

    $env:ZEROCOPYPS_MODULE_PATH = $StageDir
    $PSNativeCommandUseErrorActionPreference = $false
    Invoke-ChildPwsh $arguments -TimeoutMinutes 20
    $exitCode = $LASTEXITCODE

    if (-not (Test-Path -LiteralPath $json)) {
        return (New-SuiteResult 'Pester' -Failed 1 -Note "Pester runner exited $exitCode without writing $json")
    }
    $counts = Get-Content -Raw -LiteralPath $json | ConvertFrom-Json
    $result = New-SuiteResult 'Pester' -Passed $counts.passed -Failed $counts.failed -Skipped $counts.skipped
    if ($counts.failedBlocks -or $counts.failedContainers) {
        $result.Note = "includes $($counts.failedBlocks) failed block(s), $($counts.failedContainers) failed container(s)"
    }
    if ($exitCode -ne 0) {
        $result.Failed++
        $result.Note = "Pester runner exited $exitCode"
    }
    $result
}

# Returns $true when everything passed and at least one test ran.
function Invoke-TestTask {
    # A build (or help) failure is a failed run that still ends with the one summary line CI reads.
    try {
        Invoke-BuildTask
        $suites = @(
            Invoke-XunitSuite
            Invoke-PesterSuite
            Invoke-BenchmarkSmokeSuite
        )
    }
    catch {
        Write-Host "build.ps1: BUILD FAILED: $($_.Exception.Message)"
        $suites = @(New-SuiteResult 'build' -Failed 1 -Note 'the build failed; no test ran')
    }

    $passed  = ($suites | Measure-Object -Property Passed -Sum).Sum
    $failed  = ($suites | Measure-Object -Property Failed -Sum).Sum
    $skipped = ($suites | Measure-Object -Property Skipped -Sum).Sum

    Write-Step 'Test summary'
    foreach ($s in $suites) {
        $line = '  {0,-8} {1,5} passed, {2,5} failed, {3,5} skipped' -f $s.Suite, $s.Passed, $s.Failed, $s.Skipped
        if ($s.Note) { $line += "  ($($s.Note))" }
        Write-Host $line
    }
    Write-Host "  results: $ResultsDir"
    if ($passed + $failed + $skipped -eq 0) { Write-Host '  no test ran: failing the run' }
    # The one line CI reads; nothing may be printed after it.
    Write-Host "$passed passed, $failed failed, $skipped skipped"
    return ($failed -eq 0 -and ($passed + $failed + $skipped) -gt 0)
}

# ---------------------------------------------------------------------------------- Bench

# Every benchmark case once, in-process (≈ 4 s): proves the benchmarks build and run. The program
# exits non-zero when no benchmark ran or one failed, so this counts as one test.
function Invoke-BenchmarkSmokeSuite {
    Write-Step 'BenchmarkDotNet smoke (--job dry --inProcess)'
    $project = Join-Path $RepoRoot 'benchmarks/ZeroCopyPS.Benchmarks'
    $artifacts = Join-Path $ResultsDir 'BenchmarkDotNet.Artifacts'
    $PSNativeCommandUseErrorActionPreference = $false
    # Release whatever -Configuration says: BenchmarkDotNet refuses a build without optimizations.
    & dotnet run -c Release --project $project -- --filter '*' --job dry --inProcess --artifacts $artifacts | Out-Host
    if ($LASTEXITCODE -eq 0) { New-SuiteResult 'bench' -Passed 1 }
    else { New-SuiteResult 'bench' -Failed 1 -Note "benchmark smoke exited $LASTEXITCODE" }
}

# The measurements behind docs/benchmarks.md (≈ 4-5 min): Measure-SocketCopy, BenchmarkDotNet
# --job short, and the peer comparison. Results land in out/bench/.
function Invoke-BenchTask {
    Invoke-BuildTask
    $benchDir = Join-Path $OutDir 'bench'
    $null = New-Item -ItemType Directory -Force -Path $benchDir
    Write-Step 'Measure-SocketCopy (child pwsh)'
    $json = Join-Path $benchDir 'measure-socketcopy.json'
    Invoke-ChildPwsh @('-Command', "Import-Module '$StageDir'; `$m = Measure-SocketCopy -Size 64KB,1MB,16MB -Transport Tcp,Unix -Iterations 1000 -Duration 20; `$m | Format-Table | Out-String -Width 200 | Write-Host; `$m | ConvertTo-Json | Set-Content -LiteralPath '$json'")
    Write-Step 'BenchmarkDotNet (--job short)'
    & dotnet run -c Release --project (Join-Path $RepoRoot 'benchmarks/ZeroCopyPS.Benchmarks') -- --filter '*' --job short --artifacts (Join-Path $benchDir 'BenchmarkDotNet.Artifacts') | Out-Host
    Write-Step 'Peer comparison (scripts/Compare-Peers.ps1 in a child pwsh)'
    Invoke-ChildPwsh @('-File', (Join-Path $RepoRoot 'scripts/Compare-Peers.ps1'), '-OutputPath', (Join-Path $benchDir 'peers'))
}

# ---------------------------------------------------------------------------------- Demo

function Invoke-DemoTask {
    Invoke-BuildTask
    Write-Step 'Demo (scripts/Demo.ps1 in a child pwsh)'
    $env:ZEROCOPYPS_MODULE_PATH = $StageDir
    Invoke-ChildPwsh @('-File', (Join-Path $RepoRoot 'scripts/Demo.ps1'))
}

# ---------------------------------------------------------------------------------- main

$knownTasks = 'Clean', 'Build', 'Help', 'Package', 'Test', 'Demo', 'Bench'
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
