# What Get-Command's metadata implies for the help, as text: the display order of a parameter set,
# its SYNTAX line, and each parameter's yaml block (the way platyPS writes them).
#
# Why a module of its own: the same expectations serve two callers. Validation.psm1 compares the
# markdown against them, and Maml.psm1 writes the syntax items in the same order, so the page, the
# check and Get-Help cannot drift apart. Input is the plain data the metadata child pwsh wrote
# (Build-Help.ps1 -MetadataPath); nothing here loads the module or reads a file.

# A module does not inherit the calling script's strict mode or preferences (its scopes hang off the
# global scope), so it sets the same ones Build-Help.ps1 runs under.
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

function Get-PipelineText($p) {
    $kinds = @()
    if ($p.ValueFromPipelineByPropertyName) { $kinds += 'ByPropertyName' }
    if ($p.ValueFromPipeline) { $kinds += 'ByValue' }
    if ($kinds) { "True ($($kinds -join ', '))" } else { 'False' }
}

function Get-PositionText($p) { if ($p.Position -ge 0) { [string]$p.Position } else { 'Named' } }

# Get-Command's display order: positional by position, then mandatory named, then the rest, in
# declaration order; -WhatIf and -Confirm last.
function Get-DisplayOrder($Set, $Cmdlet) {
    $declared = @($Cmdlet.ParameterOrder)
    $rank = { param($p) [array]::IndexOf($declared, $p.Name) }
    $all = @($Set.Parameters)
    $positional = @($all | Where-Object { $_.Position -ge 0 } | Sort-Object Position)
    $named = @($all | Where-Object { $_.Position -lt 0 -and $_.Name -notin 'WhatIf', 'Confirm' })
    $mandatory = @($named | Where-Object IsMandatory | Sort-Object { & $rank $_ })
    $optional = @($named | Where-Object { -not $_.IsMandatory } | Sort-Object { & $rank $_ })
    $risk = @('WhatIf', 'Confirm' | ForEach-Object { $n = $_; $all | Where-Object Name -EQ $n })
    @($positional) + $mandatory + $optional + $risk
}

function Get-SyntaxLine($Set, $Cmdlet) {
    $parts = foreach ($p in (Get-DisplayOrder $Set $Cmdlet)) {
        $name = if ($p.Position -ge 0) { "[-$($p.Name)]" } else { "-$($p.Name)" }
        $text = if ($p.IsSwitch) { "-$($p.Name)" } else { "$name <$($p.Type)>" }
        if ($p.IsMandatory) { $text } else { "[$text]" }
    }
    (@($Cmdlet.Name) + @($parts) + '[<CommonParameters>]') -join ' '
}

function Get-ExpectedSyntaxMarkdown($Cmdlet) {
    $out = foreach ($set in $Cmdlet.ParameterSets) {
        $heading = if ($set.Name -eq '__AllParameterSets') { '### __AllParameterSets' } elseif ($set.IsDefault) { "### $($set.Name) (Default)" } else { "### $($set.Name)" }
        $heading, '```', (Get-SyntaxLine $set $Cmdlet), '```', ''
    }
    ($out -join "`n").TrimEnd()
}

# The parameter's metadata over all its sets, as platyPS writes the yaml block.
function Get-ParameterView($Cmdlet, [string] $Name) {
    $entries = @(foreach ($set in $Cmdlet.ParameterSets) {
            foreach ($p in $set.Parameters) { if ($p.Name -eq $Name) { [pscustomobject]@{ Set = $set.Name; P = $p } } }
        })
    if (-not $entries) { return $null }
    $first = $entries[0].P
    $allSets = @($Cmdlet.ParameterSets).Count
    $setText = if ($entries.Count -eq $allSets -or ($entries.Count -eq 1 -and $entries[0].Set -eq '__AllParameterSets')) { '(All)' } else { (@($entries | ForEach-Object { $_.Set }) | Sort-Object) -join ', ' }   # not $entries.Set: arrays have a Set() method
    $required = @($entries | ForEach-Object { [bool]$_.P.IsMandatory } | Select-Object -Unique)
    $requiredText = if ($required.Count -gt 1) { ($entries | ForEach-Object { "$($_.Set): $($_.P.IsMandatory)" }) -join ', ' } else { [string]$required[0] }
    $positions = @($entries | ForEach-Object { Get-PositionText $_.P } | Select-Object -Unique)
    $pipelines = @($entries | ForEach-Object { Get-PipelineText $_.P } | Select-Object -Unique)
    [pscustomobject]@{
        Name        = $Name
        Type        = $first.Type
        IsSwitch    = $first.IsSwitch
        Sets        = $setText
        Aliases     = (@($first.Aliases) -join ', ')
        Required    = $requiredText
        RequiredAll = ($required.Count -eq 1 -and $required[0])
        Position    = ($positions -join ', ')
        PositionMaml = if ($positions.Count -eq 1 -and $positions[0] -ne 'Named') { $positions[0] } elseif ($positions | Where-Object { $_ -ne 'Named' }) { @($positions | Where-Object { $_ -ne 'Named' })[0] } else { 'named' }
        Pipeline    = ($pipelines -join ', ')
        Wildcard    = [string][bool]$first.Wildcard
        Accepted    = (@($first.AcceptedValues) -join ', ')
        Entries     = $entries
    }
}

function Get-ExpectedYaml($View, [string] $Default) {
    @(
        '```yaml'
        "Type: $($View.Type)"
        "Parameter Sets: $($View.Sets)"
        "Aliases: $($View.Aliases)".TrimEnd()
        if ($View.Accepted) { "Accepted values: $($View.Accepted)" }
        ''
        "Required: $($View.Required)"
        "Position: $($View.Position)"
        "Default value: $Default"
        "Accept pipeline input: $($View.Pipeline)"
        "Accept wildcard characters: $($View.Wildcard)"
        '```'
    ) -join "`n"
}

Export-ModuleMember -Function Get-PipelineText, Get-PositionText, Get-DisplayOrder, Get-SyntaxLine, Get-ExpectedSyntaxMarkdown, Get-ParameterView, Get-ExpectedYaml
