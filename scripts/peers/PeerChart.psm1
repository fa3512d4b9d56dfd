<#
The chart of scripts/Compare-Peers.ps1: one SVG, a panel per figure, a horizontal bar per proxy. Each bar is
the proxy's median divided by the best external peer's median for that figure (the dashed line at 1.0), its
whisker the min–max over the rounds divided the same way, and its label the median itself. Written by hand
(plain SVG text, no package): a browser or the repository's Markdown viewer shows it as it is.
#>

Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot 'PeerReport.psm1')   # Get-PeerMetric, Get-BestPeer's summary
Import-Module (Join-Path $PSScriptRoot 'Peers.psm1')        # Get-ExternalPeer

$script:Invariant = [cultureinfo]::InvariantCulture
$script:Layout = @{
    Margin = 20; Columns = 2; PanelWidth = 480; Gap = 20; LabelWidth = 150; BarWidth = 210; RowPitch = 20; BarHeight = 13
    PanelTop = 44    # title and subtitle above the bars
    PanelBottom = 26 # axis ticks below them
    HeaderHeight = 50 # the title and spacing; then a line per subtitle line and the legend
    HeaderLine = 18
    MaxAxis = 3.0    # bars beyond 3× the best peer are cut there (the label keeps the value)
}

function Format-Number([double] $Value) { $Value.ToString('0.#', $script:Invariant) }

function Format-Figure($Metric, $Value) { [string]::Format($script:Invariant, "{0:$($Metric.Format)}", $Value) }

function ConvertTo-SvgText([string] $Text) { [System.Security.SecurityElement]::Escape($Text) }

function Get-PeerColour([string] $Peer) {
    # ZeroCopyPS in warm colours (the default the strongest), the external peers in cool ones.
    switch ($Peer) {
        'zerocopyps-auto' { '#d1495b' }
        'zerocopyps-auto-pipe1m' { '#f28e2b' }
        'zerocopyps-splice' { '#edae49' }
        'zerocopyps-buffered' { '#e9c46a' }
        'zerocopyps-candidate' { '#8e44ad' }
        'haproxy-splice' { '#00798c' }
        'haproxy-splice-pipe1m' { '#30638e' }
        'haproxy' { '#7fb7be' }
        'go' { '#66a182' }
        'socat' { '#9a9a9a' }
        default { '#b0b0b0' }
    }
}

function Get-AxisMaximum($Rows, [string] $Name) {
    <# The axis reaches the largest ratio or whisker end (at least 1.25, at most MaxAxis), rounded up to a quarter. #>
    $top = 1.25
    foreach ($row in $Rows) {
        if (-not $row.RatioToBest.Contains($Name)) { continue }
        $top = [math]::Max($top, $row.RatioToBest[$Name])
        if ($row.Range.Contains($Name) -and $row.RatioToBest[$Name]) {
            $scale = $row.RatioToBest[$Name] / $row.$Name
            $top = [math]::Max($top, $row.Range[$Name][1] * $scale)
        }
    }
    [math]::Min($script:Layout.MaxAxis, [math]::Ceiling($top * 4) / 4)
}

function Get-PanelSvg($Rows, $Direct, $Metric, [double] $Left, [double] $Top) {
    $L = $script:Layout
    $name = $Metric.Name
    $best = $Rows | Where-Object { $_.Peer -in (Get-ExternalPeer) -and $_.RatioToBest.Contains($name) -and $_.RatioToBest[$name] -eq 1 } | Select-Object -First 1
    $axis = Get-AxisMaximum $Rows $name
    $x0 = $Left + $L.LabelWidth
    $perUnit = $L.BarWidth / $axis
    $height = $L.PanelTop + $Rows.Count * $L.RowPitch + $L.PanelBottom
    $better = if ($Metric.Higher) { 'higher is better' } else { 'lower is better' }
    $note = if ($best) { "1.0 = best external peer, $($best.Peer): $(Format-Figure $Metric $best.$name)" } else { 'no external peer measured' }
    if ($Direct -and $null -ne $Direct.$name) { $note += "; direct: $(Format-Figure $Metric $Direct.$name)" }
    $svg = [System.Collections.Generic.List[string]]::new()
    $svg.Add("<rect x='$(Format-Number $Left)' y='$(Format-Number $Top)' width='$($L.PanelWidth)' height='$(Format-Number $height)' fill='#fafafa' stroke='#dddddd'/>")
    $svg.Add("<text x='$(Format-Number ($Left + 8))' y='$(Format-Number ($Top + 18))' font-size='13' font-weight='bold'>$(ConvertTo-SvgText "$($Metric.Title), $better")</text>")
    $svg.Add("<text x='$(Format-Number ($Left + 8))' y='$(Format-Number ($Top + 34))' font-size='10.5' fill='#555555'>$(ConvertTo-SvgText $note)</text>")
    $barsTop = $Top + $L.PanelTop
    $barsBottom = $barsTop + $Rows.Count * $L.RowPitch
    for ($tick = 0.0; $tick -le $axis + 1e-9; $tick += 0.5) {
        $x = Format-Number ($x0 + $tick * $perUnit)
        $dash = if ($tick -eq 1) { " stroke-dasharray='4 3' stroke='#333333'" } else { " stroke='#e4e4e4'" }
        $svg.Add("<line x1='$x' y1='$(Format-Number ($barsTop - 4))' x2='$x' y2='$(Format-Number $barsBottom)'$dash/>")
        $svg.Add("<text x='$x' y='$(Format-Number ($barsBottom + 14))' font-size='10' fill='#555555' text-anchor='middle'>$(Format-Number $tick)×</text>")
    }
    for ($i = 0; $i -lt $Rows.Count; $i++) {
        $row = $Rows[$i]
        $y = $barsTop + $i * $L.RowPitch
        $middle = $y + $L.BarHeight / 2
        $svg.Add("<text x='$(Format-Number ($x0 - 6))' y='$(Format-Number ($middle + 4))' font-size='11' text-anchor='end'>$(ConvertTo-SvgText $row.Peer)</text>")
        $valueX = Format-Number ($x0 + $L.BarWidth + 8)
        if (-not $row.RatioToBest.Contains($name)) {
            $svg.Add("<text x='$valueX' y='$(Format-Number ($middle + 4))' font-size='11' fill='#888888'>–</text>")
            continue
        }
        $ratio = $row.RatioToBest[$name]
        $width = [math]::Min($ratio, $axis) * $perUnit
        $svg.Add("<rect x='$(Format-Number $x0)' y='$(Format-Number $y)' width='$(Format-Number $width)' height='$($L.BarHeight)' fill='$(Get-PeerColour $row.Peer)'/>")
        if ($row.Range.Contains($name) -and $row.$name) {
            $scale = $ratio / $row.$name
            $from = $x0 + [math]::Min($row.Range[$name][0] * $scale, $axis) * $perUnit
            $to = $x0 + [math]::Min($row.Range[$name][1] * $scale, $axis) * $perUnit
            $svg.Add("<path d='M$(Format-Number $from) $(Format-Number ($middle - 3))v6M$(Format-Number $from) $(Format-Number $middle)H$(Format-Number $to)M$(Format-Number $to) $(Format-Number ($middle - 3))v6' stroke='#222222' fill='none'/>")
        }
        $cut = if ($ratio -gt $axis) { ' ▸' } else { '' }
        $label = '{0} ×{1}{2}' -f (Format-Figure $Metric $row.$name), $ratio.ToString('0.00', $script:Invariant), $cut
        $svg.Add("<text x='$valueX' y='$(Format-Number ($middle + 4))' font-size='11'>$(ConvertTo-SvgText $label)</text>")
    }
    [pscustomobject]@{ Svg = $svg; Height = $height }
}

function Write-PeerChart {
    <# Writes the SVG to -Path (folder created if missing) and returns the path. -Rows: Compare-Peers' rows, ratios set. #>
    param([Parameter(Mandatory)] $Rows, [Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [string] $Title, [string[]] $Subtitle = @())
    $L = $script:Layout
    $direct = $Rows | Where-Object Peer -eq 'direct' | Select-Object -First 1
    $proxies = @($Rows | Where-Object { $_.Peer -ne 'direct' })
    $metrics = @(Get-PeerMetric)
    $panels = [System.Collections.Generic.List[string]]::new()
    $legend = 'Bar: median ÷ the best external peer''s median (HAProxy ×3, socat, Go); whisker: min–max over the rounds; label: the median and the ratio. ZeroCopyPS in warm colours.'
    $header = @($Subtitle) + $legend
    $top = $L.Margin + $L.HeaderHeight + $header.Count * $L.HeaderLine
    for ($i = 0; $i -lt $metrics.Count; $i += $L.Columns) {
        $rowHeight = 0
        for ($c = 0; $c -lt $L.Columns -and $i + $c -lt $metrics.Count; $c++) {
            $left = $L.Margin + $c * ($L.PanelWidth + $L.Gap)
            $panel = Get-PanelSvg $proxies $direct $metrics[$i + $c] $left $top
            $panels.AddRange($panel.Svg)
            $rowHeight = [math]::Max($rowHeight, $panel.Height)
        }
        $top += $rowHeight + $L.Gap
    }
    $width = 2 * $L.Margin + $L.Columns * $L.PanelWidth + ($L.Columns - 1) * $L.Gap
    $height = $top - $L.Gap + $L.Margin
    $lines = @(
        "<svg xmlns='http://www.w3.org/2000/svg' width='$width' height='$(Format-Number $height)' viewBox='0 0 $width $(Format-Number $height)' font-family='DejaVu Sans, Arial, sans-serif'>"
        "<rect width='100%' height='100%' fill='#ffffff'/>"
        "<text x='$($L.Margin)' y='$($L.Margin + 18)' font-size='18' font-weight='bold'>$(ConvertTo-SvgText $Title)</text>"
        for ($i = 0; $i -lt $header.Count; $i++) {
            "<text x='$($L.Margin)' y='$($L.Margin + 40 + $i * $L.HeaderLine)' font-size='11.5' fill='#444444'>$(ConvertTo-SvgText $header[$i])</text>"
        }
        $panels
        '</svg>'
    )
    $folder = Split-Path -Parent $Path
    if ($folder) { $null = New-Item -ItemType Directory -Force -Path $folder }
    Set-Content -LiteralPath $Path -Value ($lines -join "`n") -Encoding utf8NoBOM
    (Resolve-Path -LiteralPath $Path).Path
}

Export-ModuleMember -Function Write-PeerChart
