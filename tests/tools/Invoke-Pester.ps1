#!/usr/bin/env pwsh
<#
.SYNOPSIS
Runs the Pester suite and writes its counts to a JSON file. Meant to be started by build.ps1
in a child pwsh.

.DESCRIPTION
Why a child process: the tests import the binary module ZeroCopyPS.dll, and a binary module
cannot be unloaded from a session; running them in their own process keeps build.ps1's
session clean and the dll unlocked.

Why a JSON file: Pester's console output is meant for people, and its exit code (with -CI)
wraps at 256. build.ps1 reads the counts from -ResultJson instead:
  passed, failed (FailedCount + FailedBlocksCount + FailedContainersCount, so a broken
  BeforeAll or a file that does not parse counts as a failure), skipped, notRun, total, result,
  and failedNames (each failed test, block or file, for build.ps1 to print).

This script exits 0 whenever Pester ran to the end, whatever the test outcome; a non-zero exit
(or a missing JSON file) means the runner itself broke.

The tests find the module under test through $env:ZEROCOPYPS_MODULE_PATH (the absolute path of
the staged out/ZeroCopyPS folder), which build.ps1 sets.

.EXAMPLE
# By hand, after `./build.ps1 -Task Test` restored Pester once:
$env:ZEROCOPYPS_MODULE_PATH = "$PWD/out/ZeroCopyPS"
dotnet pwsh -NoProfile -File tests/tools/Invoke-Pester.ps1 -TestPath tests/Pester -ModuleRoot .tools/Modules -ResultJson out/pester.json
#>
[CmdletBinding()]
param(
    # Folder (or file) holding *.Tests.ps1.
    [Parameter(Mandatory)] [string] $TestPath,
    # Folder that holds Pester/<version>/; prepended to PSModulePath for this process only.
    [Parameter(Mandatory)] [string] $ModuleRoot,
    # Where the counts go.
    [Parameter(Mandatory)] [string] $ResultJson,
    # Optional NUnit XML report, for people and CI systems that display it.
    [string] $ResultXml,
    [string] $PesterVersion = '6.2.0',
    # Optional Pester FullName filter; several patterns may be comma-separated because -File
    # mode hands an array over as one string.
    [string] $FullNameFilter
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$env:PSModulePath = (Resolve-Path -LiteralPath $ModuleRoot).ProviderPath + [IO.Path]::PathSeparator + $env:PSModulePath
# The staged module's folder too, so that a test can import it by name, as a user would (Import-Module ZeroCopyPS).
if ($env:ZEROCOPYPS_MODULE_PATH) { $env:PSModulePath = (Split-Path -Parent $env:ZEROCOPYPS_MODULE_PATH) + [IO.Path]::PathSeparator + $env:PSModulePath }
Import-Module Pester -RequiredVersion $PesterVersion -ErrorAction Stop

$config = New-PesterConfiguration
$config.Run.Path = (Resolve-Path -LiteralPath $TestPath).ProviderPath
$config.Run.PassThru = $true
# Never let Pester call exit: the counts must reach the JSON file first.
$config.Run.Exit = $false
$config.Output.Verbosity = 'Detailed'
if ($ResultXml) {
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputFormat = 'NUnitXml'
    $config.TestResult.OutputPath = $ResultXml
}
if ($FullNameFilter) {
    $config.Filter.FullName = @($FullNameFilter -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ })
}

$run = Invoke-Pester -Configuration $config

$summary = [ordered]@{
    passed  = [int]$run.PassedCount
    failed  = [int]($run.FailedCount + $run.FailedBlocksCount + $run.FailedContainersCount)
    skipped = [int]$run.SkippedCount
    notRun  = [int]$run.NotRunCount
    total   = [int]$run.TotalCount
    result  = [string]$run.Result
    failedBlocks     = [int]$run.FailedBlocksCount
    failedContainers = [int]$run.FailedContainersCount
    failedNames      = @(
        # With the first 300 characters of the failure's message: the CI record then says why, not only what.
        @($run.Failed | ForEach-Object {
            $message = @($_.ErrorRecord | ForEach-Object { $_.Exception.Message }) -join ' | '
            $message = ($message -replace '\s+', ' ').Trim()
            if ($message.Length -gt 300) { $message = $message.Substring(0, 300) + '...' }
            if ($message) { "$($_.ExpandedPath): $message" } else { $_.ExpandedPath }
        })
        @($run.FailedBlocks | ForEach-Object { "$($_.ExpandedPath) (block)" })
        @($run.FailedContainers | ForEach-Object { "$($_.Item) (file)" })
    )
}
$dir = Split-Path -Parent $ResultJson
if ($dir) { $null = New-Item -ItemType Directory -Force -Path $dir }
$summary | ConvertTo-Json | Set-Content -LiteralPath $ResultJson -Encoding utf8NoBOM
exit 0
