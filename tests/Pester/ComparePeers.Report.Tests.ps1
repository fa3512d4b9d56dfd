# tests/Pester/ComparePeers.Report.Tests.ps1: scripts/Compare-Peers.ps1's report and chart from made-up rounds (no
# proxies run): medians, min–max, ratios to the best external peer in the right direction, targets, the SVG.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../scripts/peers/PeerReport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../scripts/peers/PeerChart.psm1') -Force

    function New-TestRow([string] $Peer, [hashtable] $Rounds, $IdleKiB = $null) {
        $row = New-PeerRow $Peer
        foreach ($name in $Rounds.Keys) { Set-PeerFigure $row $name $Rounds[$name] }
        $row.IdleKiBPerConnection = $IdleKiB
        $row
    }

    $rows = @(
        New-TestRow 'direct' @{ Bulk1MBps = 4000, 4200, 3900, 4100, 4050 }
        New-TestRow 'haproxy-splice' @{ Bulk1MBps = 1000, 900, 1100, 1050, 950; CpuSecondsPerGiB = 0.5, 0.4, 0.6, 0.5, 0.5; PipelineRequestsPerSecond = 200000, 210000, 190000, 205000, 195000 } 3.2
        New-TestRow 'go' @{ Bulk1MBps = 1200, 1100, 1300, 1250, 1150; CpuSecondsPerGiB = 0.4, 0.45, 0.35, 0.4, 0.4; PipelineRequestsPerSecond = 100000, 100000, 100000, 100000, 100000 } 9.6
        New-TestRow 'zerocopyps-auto' @{ Bulk1MBps = 1500, 1400, 1600, 1550, 1450; CpuSecondsPerGiB = 0.2, 0.3, 0.25, 0.2, 0.2; PipelineRequestsPerSecond = 150000, 150000, 150000, 150000, 150000 } 2.2
    )
    Set-PeerRatio $rows
    $byPeer = @{}; foreach ($r in $rows) { $byPeer[$r.Peer] = $r }
}

Describe 'Compare-Peers report' {
    It 'reports the median of the rounds and their min–max' {
        $byPeer['go'].Bulk1MBps | Should -Be 1200
        $byPeer['go'].Range.Bulk1MBps | Should -Be @(1100, 1300)
        $byPeer['go'].Rounds.Bulk1MBps.Count | Should -Be 5
    }

    It 'sets ratios against the best external peer: the highest where higher is better, the lowest where lower is' {
        $byPeer['zerocopyps-auto'].RatioToBest.Bulk1MBps | Should -Be 1.25            # 1500 ÷ go's 1200
        $byPeer['zerocopyps-auto'].RatioToBest.CpuSecondsPerGiB | Should -Be 0.5      # 0.2 ÷ go's 0.4
        $byPeer['haproxy-splice'].RatioToBest.PipelineRequestsPerSecond | Should -Be 1
        $byPeer['zerocopyps-auto'].RatioToBest.PipelineRequestsPerSecond | Should -Be 0.75
        $byPeer['direct'].RatioToBest.Bulk1MBps | Should -Be 3.375                    # direct is never the best peer
        $byPeer['zerocopyps-auto'].RatioToBest.Contains('Bulk8MBps') | Should -BeFalse # not measured: no ratio
    }

    It 'states each target as met or missed with its figure' {
        $report = Get-TargetReport $rows
        $report | Should -Match 'bulk vs best of haproxy-splice/go \(go\): 1\.25× \(≥ 1\.25\) MET'
        $report | Should -Match 'CPU/GiB vs haproxy-splice: 0\.40× \(≤ 0\.70\) MET'
        $report | Should -Match 'bulk vs direct: 0\.37× \(≥ 0\.60\) MISSED'
        $report | Should -Match 'pipelined req/s vs best peer \(haproxy-splice\): 0\.75× \(≥ 1\.00\) MISSED'
        $report | Should -Match '≤ 3 KiB per idle connection: 2\.20 KiB MET'
    }

    It 'prints medians with ratios and a min–max table' {
        $table = Format-PeerTable $rows 5
        $table | Should -Match '\| zerocopyps-auto \| 1,500 \(×1\.25\) 37 % of direct \|'
        $table | Should -Match '\| go \| 1,100–1,300 \|'
    }

    It 'draws one bar per proxy and figure measured, none for direct, in well-formed SVG' {
        $path = Join-Path $TestDrive 'chart/peers.svg'
        $written = Write-PeerChart -Rows $rows -Path $path -Title 'test' -Subtitle 'made-up rounds'
        $written | Should -Be (Resolve-Path $path).Path
        [xml] $svg = Get-Content -Raw -LiteralPath $path
        # Bars are the rects with a peer colour (the background and the panels are white and #fafafa).
        $bars = @($svg.svg.rect | Where-Object { $_.fill -notin '#ffffff', '#fafafa' })
        # Measured: Bulk1 for 3 proxies, CPU for 3, pipelined for 3, idle memory for 3.
        $bars.Count | Should -Be 12
        ($svg.svg.text | Where-Object { $_.'#text' -eq 'direct' }) | Should -BeNullOrEmpty
        ($svg.svg.text | Where-Object { $_.'#text' -like '1,500 ×1.25*' }) | Should -Not -BeNullOrEmpty
    }

    It 'refuses a -CandidateBuild folder without a load generator before it starts anything' {
        $script = Join-Path $PSScriptRoot '../../scripts/Compare-Peers.ps1'
        $empty = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'no-build')
        { & $script -CandidateBuild $empty.FullName -SkipInstall } | Should -Throw '*-CandidateBuild: no ZeroCopyPS.LoadGen in that folder*'
    }
}
