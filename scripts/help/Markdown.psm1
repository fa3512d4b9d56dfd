# Markdown reading for scripts/Build-Help.ps1: platyPS pages (schema 2.0.0) into front matter,
# sections and blocks, and inline markdown into help text.
#
# Why a module of its own: this is the only code that knows markdown syntax. The checks
# (Validation.psm1) and the writers (Maml.psm1) work on what it returns, so a markdown quirk is
# fixed here once. It knows nothing of Get-Command or of the module being documented.

# A module does not inherit the calling script's strict mode or preferences (its scopes hang off the
# global scope), so it sets the same ones Build-Help.ps1 runs under.
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

# A markdown body split into blocks: Paragraph (lines joined), ListItem, Code (lang + raw text),
# Table (raw lines). Enough of CommonMark for platyPS pages, and nothing clever.
function ConvertTo-Blocks([string[]] $Lines) {
    $blocks = [System.Collections.Generic.List[object]]::new()
    $i = 0
    $paragraph = $null
    $flush = {
        if ($null -ne $paragraph) {
            $blocks.Add([pscustomobject]@{ Kind = $paragraph.Kind; Text = ($paragraph.Lines -join ' ').Trim(); Lang = $null })
            $paragraph = $null   # dot-sourced: this is the function's variable
        }
    }
    while ($i -lt $Lines.Count) {
        $line = $Lines[$i]
        if ($line -match '^\s*(```+|~~~+)\s*([\w+-]*)\s*$') {
            . $flush
            $fence = $Matches[1]; $lang = $Matches[2].ToLowerInvariant()
            $code = [System.Collections.Generic.List[string]]::new()
            $i++
            while ($i -lt $Lines.Count -and $Lines[$i].Trim() -ne $fence) { $code.Add($Lines[$i]); $i++ }
            $blocks.Add([pscustomobject]@{ Kind = 'Code'; Text = ($code -join "`n"); Lang = $lang })
            $i++
            continue
        }
        if ($line -match '^\s*$') { . $flush; $i++; continue }
        if ($line -match '^\s*\|') {
            . $flush
            $table = [System.Collections.Generic.List[string]]::new()
            while ($i -lt $Lines.Count -and $Lines[$i] -match '^\s*\|') { $table.Add($Lines[$i].TrimEnd()); $i++ }
            $blocks.Add([pscustomobject]@{ Kind = 'Table'; Text = ($table -join "`n"); Lang = $null })
            continue
        }
        if ($line -match '^\s{0,3}([-*+]|\d+[.)])\s+(.*)$') {
            . $flush
            $paragraph = @{ Kind = 'ListItem'; Lines = [System.Collections.Generic.List[string]]::new() }
            $paragraph.Lines.Add($line.Trim())
            $i++
            continue
        }
        if ($null -eq $paragraph) { $paragraph = @{ Kind = 'Paragraph'; Lines = [System.Collections.Generic.List[string]]::new() } }
        $paragraph.Lines.Add($line.Trim())
        $i++
    }
    . $flush
    , $blocks.ToArray()
}

# Inline markdown to help text: links keep their text (and an absolute address), emphasis marks go.
function ConvertTo-PlainText([string] $Text) {
    $Text = [regex]::Replace($Text, '\[([^\]]+)\]\(([^)]*)\)', {
            param($m)
            $uri = $m.Groups[2].Value
            if ($uri -match '^[a-z]+://') { "$($m.Groups[1].Value) ($uri)" } else { $m.Groups[1].Value }
        })
    $Text = $Text -replace '\*\*([^*]+)\*\*', '$1' -replace '(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])', '$1'
    $Text = $Text -replace '\\([\\`*_{}\[\]()#+\-.!<>|])', '$1'
    $Text
}

# Help paragraphs (strings) from blocks: code and tables keep their lines.
function ConvertTo-Paragraphs($Blocks) {
    foreach ($b in $Blocks) {
        switch ($b.Kind) {
            'Code' { ($b.Text -split "`n" | ForEach-Object { '    ' + $_ }) -join "`n" }
            'Table' { $b.Text }
            default { ConvertTo-PlainText $b.Text }
        }
    }
}

# Splits a page into front matter, title and H2 sections (each with H3 subsections). Headings inside
# fenced code are not headings.
function Read-MarkdownPage([string] $Path) {
    $lines = @(Get-Content -LiteralPath $Path -Encoding utf8)
    $page = [ordered]@{ FrontMatter = @{}; Title = $null; Sections = [ordered]@{}; Path = $Path }
    $i = 0
    if ($lines.Count -gt 0 -and $lines[0].Trim() -eq '---') {
        $i = 1
        while ($i -lt $lines.Count -and $lines[$i].Trim() -ne '---') {
            if ($lines[$i] -match '^([^:]+):\s*(.*)$') { $page.FrontMatter[$Matches[1].Trim()] = $Matches[2].Trim() }
            $i++
        }
        $i++
    }
    $section = $null; $sub = $null; $inFence = $null
    for (; $i -lt $lines.Count; $i++) {
        $line = $lines[$i]
        if ($inFence) {
            if ($line.Trim() -eq $inFence) { $inFence = $null }
        }
        elseif ($line -match '^\s*(```+|~~~+)') { $inFence = $Matches[1] }
        elseif ($line -match '^#\s+(.+?)\s*$') { $page.Title = $Matches[1]; continue }
        elseif ($line -match '^##\s+(.+?)\s*$') {
            $section = [ordered]@{ Name = $Matches[1].ToUpperInvariant(); Lines = [System.Collections.Generic.List[string]]::new(); Subsections = [System.Collections.Generic.List[object]]::new() }
            $page.Sections[$section.Name] = $section
            $sub = $null
            continue
        }
        elseif ($line -match '^###\s+(.+?)\s*$' -and $section) {
            $sub = [ordered]@{ Name = $Matches[1]; Lines = [System.Collections.Generic.List[string]]::new() }
            $section.Subsections.Add($sub)
            continue
        }
        if ($sub) { $sub.Lines.Add($line) } elseif ($section) { $section.Lines.Add($line) }
    }
    $page
}

function Get-Section($Page, [string] $Name) {
    if ($Page.Sections.Contains($Name)) { return $Page.Sections[$Name] }
    $null
}

# The yaml block of a parameter as a dictionary ("Default value" -> "None", ...).
function Read-ParameterYaml([string] $Text) {
    $map = [ordered]@{}
    foreach ($line in $Text -split "`n") {
        if ($line -match '^\s*([^:#]+?)\s*:\s*(.*?)\s*$') { $map[$Matches[1]] = $Matches[2] }
    }
    $map
}

Export-ModuleMember -Function ConvertTo-Blocks, ConvertTo-PlainText, ConvertTo-Paragraphs, Read-MarkdownPage, Get-Section, Read-ParameterYaml
