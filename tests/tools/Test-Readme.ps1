#!/usr/bin/env pwsh
<#
.SYNOPSIS
Runs the commands of README.md as printed, from a fresh clone, so that the README cannot drift from what works.

.DESCRIPTION
Clones -Repository (its committed HEAD) into a temporary folder and, in the clone, runs every block of the
README in order (tests/tools/ReadmeBlocks.psm1 says how each kind of block is run): the shell commands
(tool restore, Test, Demo, Example, Package, ...), the install snippets (each in a home of its own, then an
import by name to prove the install), the transcripts of the tour (whose table headers and error lines must
be what PowerShell prints), and the Pester example (which must be the repository's file, byte for byte).

For the Test command it also checks what the Test task promises: a short console (under 60 lines), its
duration stated up front, and the summary line last. Every command's output is in <work>/logs; the real
transcripts are written to <work>/transcript-<n>.txt. CI (.ci/run) runs this script.

Exit code: 0 when every block ran as printed, 1 otherwise. The last line says how many blocks ran.

.EXAMPLE
dotnet tool restore && dotnet pwsh -NoProfile -File tests/tools/Test-Readme.ps1
#>
[CmdletBinding()]
param(
    # The repository to clone (a folder or URL git understands). Default: this checkout.
    [string] $Repository = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).ProviderPath,
    # Where the clone and the logs go. Default: a new folder under the temp folder, removed after a pass.
    [string] $Work = (Join-Path ([IO.Path]::GetTempPath()) "zcps-readme-$PID")
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../../scripts/ZeroCopyPS.Scripts.psm1') -Force
Import-Module (Join-Path $PSScriptRoot 'ReadmeBlocks.psm1') -Force

$clone = Join-Path $Work 'repo'
$logs = Join-Path $Work 'logs'
$null = New-Item -ItemType Directory -Force -Path $logs
Write-Step "git clone $Repository -> $clone"
& git clone --quiet $Repository $clone
if ($LASTEXITCODE -ne 0) { throw "git clone failed ($LASTEXITCODE)." }

$blocks = @(Get-ReadmeBlock (Join-Path $clone 'README.md'))
$failures = [Collections.Generic.List[string]]::new()
$ran = 0; $skipped = 0; $number = 0
$testSummary = $null   # the Test task's own "N passed, N failed, N skipped", for CI's last line

# Transcripts run per section, all the section's "PS> " lines in one session, like a reader typing them.
$sections = @($blocks | Where-Object { $_.Language -eq 'text' -and $_.Text -match '(?m)^PS> ' } | Group-Object Section)

foreach ($block in $blocks) {
    $number++
    if ($block.Skip) { Write-Host "  skipped block $number ($($block.Section)): $($block.Skip)"; $skipped++; continue }
    switch ($block.Language) {
        'sh' {
            foreach ($command in $block.Text -split "`n" | Where-Object { $_.Trim() -and -not $_.TrimStart().StartsWith('#') }) {
                $log = Join-Path $logs ("{0:D2}-sh.log" -f $number)
                $clock = [Diagnostics.Stopwatch]::StartNew()
                $exit = Invoke-ShellCommand -Command $command -Directory $clone -LogPath $log
                $output = @(Get-Content -LiteralPath $log)
                Write-Host ("  {0,-3} {1,4:N0} s  {2}" -f ($exit -eq 0 ? 'ok' : 'BAD'), $clock.Elapsed.TotalSeconds, $command)
                $ran++
                if ($exit -ne 0) { $failures.Add("'$command' exited $exit (log: $log)"); $output | Select-Object -Last 15 | ForEach-Object { Write-Host "      $_" } }
                if ($command -match '-Task Test\b') {
                    Write-Host "      its console: $($output.Count) lines, last: $($output[-1])"
                    if ($output.Count -ge 60) { $failures.Add("the Test task printed $($output.Count) lines; the README promises a short summary") }
                    if (-not ($output -match 'about \d+ min')) { $failures.Add('the Test task did not say how long it takes') }
                    if ($output[-1] -match '^(\d+) passed, (\d+) failed, (\d+) skipped$') { $testSummary = $Matches }
                    else { $failures.Add("the Test task's last line is not the summary: $($output[-1])") }
                }
            }
        }
        'powershell' {
            if ($block.Text -match '^# (tests/\S+\.ps1):') {
                $file = Join-Path $clone $Matches[1]
                $same = (Test-Path -LiteralPath $file) -and ([IO.File]::ReadAllText($file).TrimEnd() -eq $block.Text.TrimEnd())
                Write-Host ("  {0,-3}         block {1} is {2}" -f ($same ? 'ok' : 'BAD'), $number, $Matches[1])
                if (-not $same) { $failures.Add("block $number is not the text of $($Matches[1])") }
                $ran++
                continue
            }
            $environment = @{}
            if ($block.Text -match 'Register-PS(Resource)?Repository') { $environment = Get-IsolatedHome (Join-Path $Work "home-$number") }
            $script = Join-Path $Work "block-$number.ps1"
            # An install is proved by importing it by name afterwards, in the same home.
            $check = if ($environment.Count) { "`nImport-Module ZeroCopyPS -ErrorAction Stop; if ((Get-Module ZeroCopyPS).ModuleBase -like '$clone*') { throw 'imported from the clone, not installed' }" } else { '' }
            Set-Content -LiteralPath $script -Value ("`$ErrorActionPreference = 'Stop'`n" + $block.Text + $check) -Encoding utf8NoBOM
            $log = Join-Path $logs ("{0:D2}-powershell.log" -f $number)
            $exit = Invoke-ChildPwsh @('-File', $script) -WorkingDirectory $clone -Environment $environment -LogPath $log -TimeoutMinutes 10
            Write-Host ("  {0,-3}         block {1} ({2}): {3}" -f ($exit -eq 0 ? 'ok' : 'BAD'), $number, $block.Section, ($block.Text -split "`n")[0])
            $ran++
            if ($exit -ne 0) { $failures.Add("the powershell block $number exited $exit (log: $log)"); Get-Content -LiteralPath $log -Tail 15 | ForEach-Object { Write-Host "      $_" } }
        }
        'text' {
            $group = $sections | Where-Object Name -EQ $block.Section
            if (-not $group -or $group.Group[0] -ne $block) { continue }   # the section runs once, at its first transcript
            $lines = @($group.Group | ForEach-Object { $_.Text -split "`n" } | Where-Object { $_ -like 'PS> *' } | ForEach-Object { $_.Substring(4) })
            $script = Join-Path $Work "transcript-$number.ps1"
            Set-Content -LiteralPath $script -Value (ConvertTo-TranscriptScript $lines) -Encoding utf8NoBOM
            $actual = Join-Path $Work "transcript-$number.txt"
            $exit = Invoke-ChildPwsh @('-File', $script) -WorkingDirectory $clone -LogPath $actual -TimeoutMinutes 10
            $real = @(Get-Content -LiteralPath $actual | ForEach-Object { $_.Trim() -replace '\s+', ' ' })
            $missing = @($group.Group | ForEach-Object { Get-TranscriptExpectation $_.Text } | Where-Object { $_ -notin $real })
            Write-Host ("  {0,-3}         transcript of '{1}': {2} commands (real one: {3})" -f ($missing.Count -eq 0 -and $exit -eq 0 ? 'ok' : 'BAD'), $block.Section, $lines.Count, $actual)
            $ran++
            foreach ($m in $missing) { $failures.Add("'$($block.Section)': PowerShell does not print the README's line: $m") }
            if ($exit -ne 0) { $failures.Add("the transcript of '$($block.Section)' exited $exit") }
        }
    }
}

Write-Host ''
foreach ($f in $failures) { Write-Host "  FAILED: $f" }
if ($failures.Count -eq 0) { Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue }
else { Write-Host "  clone and logs kept in $Work" }
Write-Host "README: $ran blocks run as printed, $skipped skipped, $($failures.Count) problem(s)"
# CI's last line counts every test: the Test task's tests, with each README problem counted as a failure.
$passed = $testSummary ? [int]$testSummary[1] : 0
$failed = ($testSummary ? [int]$testSummary[2] : 0) + $failures.Count
$skippedTests = $testSummary ? [int]$testSummary[3] : 0
Write-Host "$passed passed, $failed failed, $skippedTests skipped"
exit ([int]($failures.Count -gt 0))
