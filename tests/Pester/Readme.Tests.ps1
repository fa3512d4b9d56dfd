# The README cannot drift from the repository: its Pester example is the repository's file, its tasks exist,
# the files it names are there, and CI runs the script that runs its commands as printed
# (tests/tools/Test-Readme.ps1, which does the slow part: running them from a fresh clone).

BeforeDiscovery {
    $root = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).ProviderPath
    Import-Module (Join-Path $root 'tests/tools/ReadmeBlocks.psm1') -Force
    $commands = @(Get-ReadmeBlock (Join-Path $root 'README.md') | Where-Object Language -EQ 'sh' |
            ForEach-Object { $_.Text -split "`n" } | Where-Object { $_.Trim() -and -not $_.TrimStart().StartsWith('#') } |
            ForEach-Object { @{ Command = $_ } })
}

BeforeAll {
    $script:Root = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).ProviderPath
    Import-Module (Join-Path $script:Root 'tests/tools/ReadmeBlocks.psm1') -Force
    $script:Blocks = @(Get-ReadmeBlock (Join-Path $script:Root 'README.md'))
}

Describe 'README.md' {
    It 'prints tests/Pester/Readme.Validation.Tests.ps1 word for word' {
        $example = @($script:Blocks | Where-Object { $_.Language -eq 'powershell' -and $_.Text -match '^# tests/Pester/Readme\.Validation\.Tests\.ps1:' })
        $example | Should -HaveCount 1
        $example[0].Text.TrimEnd() | Should -BeExactly ([IO.File]::ReadAllText((Join-Path $PSScriptRoot 'Readme.Validation.Tests.ps1')).TrimEnd())
    }

    It 'runs what exists: <Command>' -ForEach $commands {
        foreach ($task in [regex]::Matches($Command, '-Task (\w+)') | ForEach-Object { $_.Groups[1].Value }) {
            (Get-Content -Raw -LiteralPath (Join-Path $script:Root 'build.ps1')) | Should -Match "'$task'" -Because "build.ps1 must know the task '$task'"
        }
        foreach ($file in [regex]::Matches($Command, '(?<=-File )\S+') | ForEach-Object { $_.Value }) {
            Join-Path $script:Root $file | Should -Exist
        }
    }

    It 'is what CI runs, through tests/tools/Test-Readme.ps1' {
        Get-Content -Raw -LiteralPath (Join-Path $script:Root '.ci/run') | Should -Match 'dotnet tool restore && dotnet pwsh -NoProfile -File tests/tools/Test-Readme\.ps1'
    }
}
