<#
The Test task of build.ps1: xunit, Pester and the benchmark smoke run, each with its whole output in
out/TestResults/<suite>.log and one line on the console, then the summary CI reads. Counts come from
result files (.trx, Pester's JSON), never from console text.
#>

Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot '../ZeroCopyPS.Scripts.psm1')

function New-SuiteResult([string] $Suite, [int] $Passed = 0, [int] $Failed = 0, [int] $Skipped = 0, [string] $Note = '', [string[]] $FailedNames = @()) {
    [pscustomobject]@{ Suite = $Suite; Passed = $Passed; Failed = $Failed; Skipped = $Skipped; Note = $Note; FailedNames = $FailedNames; Seconds = 0.0 }
}

function Write-SuiteLine($Result, [Diagnostics.Stopwatch] $Clock, [string] $Log) {
    $Result.Seconds = $Clock.Elapsed.TotalSeconds
    $line = '  {0,-7} {1,5} passed, {2,3} failed, {3,3} skipped  {4,4:N0} s  ({5})' -f $Result.Suite, $Result.Passed, $Result.Failed, $Result.Skipped, $Result.Seconds, $Log
    if ($Result.Note) { $line += "  $($Result.Note)" }
    Write-Host $line
}

# A failed .trx result as "name: first 300 characters of its message", so the summary says why.
function Format-TrxFailure([Xml.XmlElement] $Result) {
    $name = $Result.GetAttribute('testName')
    $node = $Result.SelectSingleNode(".//*[local-name()='ErrorInfo']/*[local-name()='Message']")
    if (-not $node) { return $name }
    $message = ($node.InnerText -replace '\s+', ' ').Trim()
    if ($message.Length -gt 300) { $message = $message.Substring(0, 300) + '...' }
    if ($message) { "${name}: $message" } else { $name }
}

function Invoke-XunitSuite {
    param([Parameter(Mandatory)] [string] $Solution, [Parameter(Mandatory)] [string] $ResultsDir, [string] $Configuration = 'Release', [string] $Filter)
    Write-Host '==> xunit (dotnet test)'
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $dir = Join-Path $ResultsDir 'xunit'
    if (Test-Path -LiteralPath $dir) { Remove-Item -LiteralPath $dir -Recurse -Force }   # stale .trx files would be counted again
    $null = New-Item -ItemType Directory -Force -Path $dir
    $log = Join-Path $ResultsDir 'xunit.log'

    # --blame-hang-*: a test that hangs for 10 minutes is killed and reported as failed, so one
    # stuck socket cannot eat the whole CI budget; no dump (it would be huge and unread).
    $arguments = @('test', $Solution, '--no-build', '-c', $Configuration, '--logger', 'trx', '--results-directory', $dir,
        '--blame-hang-timeout', '10m', '--blame-hang-dump-type', 'none')
    if ($Filter) { $arguments += @('--filter', $Filter) }
    $PSNativeCommandUseErrorActionPreference = $false
    & dotnet @arguments *> $log
    $exitCode = $LASTEXITCODE

    $result = New-SuiteResult 'xunit'
    $failed = [Collections.Generic.List[string]]::new()
    $trxFiles = @(Get-ChildItem -LiteralPath $dir -Filter '*.trx' -Recurse -File)
    foreach ($trx in $trxFiles) {
        $xml = [xml](Get-Content -Raw -LiteralPath $trx.FullName)
        foreach ($r in $xml.TestRun.SelectNodes("//*[local-name()='Results']/*[local-name()='UnitTestResult']")) {
            switch ($r.GetAttribute('outcome')) {
                'Passed'       { $result.Passed++ }
                'NotExecuted'  { $result.Skipped++ }   # xunit Skip = "..." ends up here
                'Inconclusive' { $result.Skipped++ }
                default        { $result.Failed++; $failed.Add((Format-TrxFailure $r)) }  # Failed, Error, Timeout, Aborted...
            }
        }
    }
    $result.FailedNames = $failed.ToArray()
    if ($exitCode -ne 0 -and $result.Failed -eq 0) {
        # Non-zero exit without a failed result: the test host crashed, a run was aborted, or no .trx
        # was written. Count it as one failure so it cannot pass silently.
        $result.Failed++
        $result.Note = "dotnet test exited $exitCode without a failed result in $($trxFiles.Count) .trx file(s)"
    }
    Write-SuiteLine $result $clock $log
    $result
}

# Restores Pester from NuGet via tests/tools/PesterRestore and copies the module (the package's tools/
# folder) to .tools/Modules/Pester/<version>/. Returns .tools/Modules.
function Install-PesterTool {
    param([Parameter(Mandatory)] [string] $ToolsDir, [Parameter(Mandatory)] [string] $Version, [Parameter(Mandatory)] [string] $Log)
    $moduleRoot = Join-Path $ToolsDir 'Modules'
    $target = Join-Path $moduleRoot "Pester/$Version"
    if (Test-Path -LiteralPath (Join-Path $target 'Pester.psd1')) { return $moduleRoot }

    Write-Host "  restoring Pester $Version from NuGet"
    $project = Join-Path (Get-RepoRoot) 'tests/tools/PesterRestore/PesterRestore.csproj'
    & dotnet restore $project "-p:PesterVersion=$Version" -nologo *> $Log
    if ($LASTEXITCODE -ne 0) { throw "dotnet restore of Pester failed (exit $LASTEXITCODE); see $Log" }

    # project.assets.json names the global packages folder actually used (honours NUGET_PACKAGES and
    # NuGet.Config), without parsing localised CLI output.
    $assets = Get-Content -Raw -LiteralPath (Join-Path (Split-Path -Parent $project) 'obj/project.assets.json') | ConvertFrom-Json
    $source = $null
    foreach ($folder in $assets.packageFolders.PSObject.Properties.Name) {
        $candidate = Join-Path $folder "pester/$Version/tools"
        if (Test-Path -LiteralPath (Join-Path $candidate 'Pester.psd1')) { $source = $candidate; break }
    }
    if (-not $source) { throw "Pester $Version was restored but its tools/Pester.psd1 was not found in: $($assets.packageFolders.PSObject.Properties.Name -join ', ')" }

    # Copy beside the target, then rename, so an interrupted copy is never taken as complete.
    $partial = "$target.partial"
    if (Test-Path -LiteralPath $partial) { Remove-Item -LiteralPath $partial -Recurse -Force }
    $null = New-Item -ItemType Directory -Force -Path $partial
    Copy-Item -Path (Join-Path $source '*') -Destination $partial -Recurse
    if (Test-Path -LiteralPath $target) { Remove-Item -LiteralPath $target -Recurse -Force }
    Move-Item -LiteralPath $partial -Destination $target
    $moduleRoot
}

function Invoke-PesterSuite {
    param(
        [Parameter(Mandatory)] [string] $ResultsDir, [Parameter(Mandatory)] [string] $ToolsDir, [Parameter(Mandatory)] [string] $Version,
        [Parameter(Mandatory)] [hashtable] $Environment, [string] $Filter, [double] $TimeoutMinutes = 20
    )
    Write-Host "==> Pester $Version (child pwsh)"
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $repo = Get-RepoRoot
    $testDir = Join-Path $repo 'tests/Pester'
    $log = Join-Path $ResultsDir 'pester.log'
    $null = New-Item -ItemType Directory -Force -Path $ResultsDir
    try { $moduleRoot = Install-PesterTool -ToolsDir $ToolsDir -Version $Version -Log $log }
    catch {
        # Keep going so the summary line still prints; a missing Pester is a failed suite.
        $result = New-SuiteResult 'Pester' -Failed 1 -Note "could not restore Pester: $($_.Exception.Message)"
        Write-SuiteLine $result $clock $log
        return $result
    }
    $dir = Join-Path $ResultsDir 'pester'
    if (Test-Path -LiteralPath $dir) { Remove-Item -LiteralPath $dir -Recurse -Force }
    $null = New-Item -ItemType Directory -Force -Path $dir
    $json = Join-Path $dir 'summary.json'
    $arguments = @(
        '-File', (Join-Path $repo 'tests/tools/Invoke-Pester.ps1')
        '-TestPath', $testDir, '-ModuleRoot', $moduleRoot, '-ResultJson', $json
        '-ResultXml', (Join-Path $dir 'pester-results.xml'), '-PesterVersion', $Version
    )
    if ($Filter) { $arguments += @('-FullNameFilter', $Filter) }
    $exitCode = Invoke-ChildPwsh $arguments -TimeoutMinutes $TimeoutMinutes -LogPath $log -Environment $Environment

    if (-not (Test-Path -LiteralPath $json)) {
        $result = New-SuiteResult 'Pester' -Failed 1 -Note "the Pester runner exited $exitCode without writing $json"
    }
    else {
        $counts = Get-Content -Raw -LiteralPath $json | ConvertFrom-Json
        $result = New-SuiteResult 'Pester' -Passed $counts.passed -Failed $counts.failed -Skipped $counts.skipped -FailedNames @($counts.failedNames)
        if ($counts.failedBlocks -or $counts.failedContainers) {
            $result.Note = "includes $($counts.failedBlocks) failed block(s), $($counts.failedContainers) failed container(s)"
        }
        if ($exitCode -ne 0) {
            $result.Failed++
            $result.Note = "the Pester runner exited $exitCode"
        }
    }
    Write-SuiteLine $result $clock $log
    $result
}

# Every benchmark case once, in-process (≈ 4 s after its build): proves the benchmarks build and run. The
# program exits non-zero when no benchmark ran or one failed, so this counts as one test.
function Invoke-BenchmarkSmokeSuite {
    param([Parameter(Mandatory)] [string] $ResultsDir)
    Write-Host '==> BenchmarkDotNet smoke (--job dry --inProcess)'
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $log = Join-Path $ResultsDir 'bench.log'
    $project = Join-Path (Get-RepoRoot) 'benchmarks/ZeroCopyPS.Benchmarks'
    $PSNativeCommandUseErrorActionPreference = $false
    # Release whatever -Configuration says: BenchmarkDotNet refuses a build without optimizations.
    & dotnet run -c Release --project $project -- --filter '*' --job dry --inProcess --artifacts (Join-Path $ResultsDir 'BenchmarkDotNet.Artifacts') *> $log
    $result = if ($LASTEXITCODE -eq 0) { New-SuiteResult 'bench' -Passed 1 } else { New-SuiteResult 'bench' -Failed 1 -Note "the benchmark smoke run exited $LASTEXITCODE" }
    Write-SuiteLine $result $clock $log
    $result
}

# Prints the summary and returns $true when everything passed and at least one test ran. The last line is
# the one CI reads; nothing may be printed after it.
function Write-TestSummary($Suites, [TimeSpan] $Elapsed) {
    $passed = ($Suites | Measure-Object -Property Passed -Sum).Sum
    $failed = ($Suites | Measure-Object -Property Failed -Sum).Sum
    $skipped = ($Suites | Measure-Object -Property Skipped -Sum).Sum
    Write-Host ''
    Write-Host ('==> Test summary ({0:N0} min {1:N0} s)' -f [math]::Floor($Elapsed.TotalMinutes), $Elapsed.Seconds)
    # The first 40 failed tests by name, each with the start of its message; the suite's log has all of it.
    $names = @(foreach ($s in $Suites) { foreach ($name in $s.FailedNames) { "  FAILED ($($s.Suite)): $name" } })
    $names | Select-Object -First 40 | ForEach-Object { Write-Host $_ }
    if ($names.Count -gt 40) { Write-Host "  ... and $($names.Count - 40) more (see the logs)" }
    if ($passed + $failed + $skipped -eq 0) { Write-Host '  no test ran: failing the run' }
    Write-Host "$passed passed, $failed failed, $skipped skipped"
    $failed -eq 0 -and ($passed + $failed + $skipped) -gt 0
}

Export-ModuleMember -Function New-SuiteResult, Invoke-XunitSuite, Install-PesterTool, Invoke-PesterSuite, Invoke-BenchmarkSmokeSuite, Write-TestSummary
