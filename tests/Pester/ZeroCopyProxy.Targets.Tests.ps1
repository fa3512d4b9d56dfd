# Several targets, client rules and live connections at the cmdlet layer (issue 9): -Target in every form a
# user writes reaches the engine, Set-ZeroCopyProxy replaces targets of a running proxy, Get-ZeroCopyProxy
# shows them, -AllowClient/-DenyClient refuse clients, Get-/Stop-ZeroCopyConnection see and close open
# connections. Balancing, health and PROXY protocol themselves are the engine's (its xunit tests); here they
# are checked only as far as the cmdlets carry them. All traffic is on 127.0.0.1.

BeforeAll {
    $script:echoes = @()
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Import-TestModule
    $script:echoes = @(New-TestEchoServer; New-TestEchoServer; New-TestEchoServer)
    $script:e1, $script:e2, $script:e3 = $echoes.Endpoint

    # Every statistics record of a job once -Count of them have arrived (Receive-Job drains, so they are collected);
    # the error records received on the way are kept in $script:receivedErrors.
    function Receive-TestStatistics($Job, [int] $Count) {
        $records = [Collections.Generic.List[object]]::new()
        $script:receivedErrors = [Collections.Generic.List[object]]::new()
        Wait-TestCondition -TimeoutSeconds 30 -Because "$Count statistics from $($Job.Name)" -Condition {
            foreach ($r in @(Receive-Job $Job -ErrorAction SilentlyContinue -ErrorVariable errors)) { $records.Add($r) }
            foreach ($e in $errors) { $script:receivedErrors.Add($e) }
            $records.Count -ge $Count
        }
        $records.ToArray()
    }

    # A connection through the proxy that stays open: send, read the echo, send again later.
    function Open-TestClient([int] $Port) {
        $client = [Net.Sockets.TcpClient]::new()
        $client.ReceiveTimeout = 10000
        $client.SendTimeout = 10000
        $client.Connect('127.0.0.1', $Port)
        $client
    }
    function Invoke-TestEcho($Client, [int] $Bytes) {
        $stream = $Client.GetStream()
        $data = [byte[]]::new($Bytes)
        [Random]::new($Bytes).NextBytes($data)
        $stream.Write($data, 0, $Bytes)
        $back = [byte[]]::new($Bytes)
        $read = 0
        while ($read -lt $Bytes) {
            $n = $stream.Read($back, $read, $Bytes - $read)
            if ($n -eq 0) { break }
            $read += $n
        }
        $read -eq $Bytes -and [Linq.Enumerable]::SequenceEqual($data, $back)
    }
}

AfterAll {
    Remove-TestProxyJob
    foreach ($e in $echoes) { $e.Dispose() }
}

Describe 'Start-ZeroCopyProxy -Target with several targets' {
    AfterEach { Remove-TestProxyJob }

    It 'takes a string, a hashtable and an object, and spreads 300 connections by weight (1:2:1)' {
        $job = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Name multi -WarningAction SilentlyContinue -Target @(
            $e1
            @{ Endpoint = $e2; Weight = 2 }
            [pscustomobject]@{ Endpoint = $e3; Weight = 1 }
        )
        $port = Get-TestListenPort $job
        $echoed = 0
        foreach ($i in 1..300) { if ((Invoke-TestExchange -Port $port -Bytes 64).EchoMatches) { $echoed++ } }

        $echoed | Should -Be 300
        $byTarget = Receive-TestStatistics $job 300 | Group-Object Target -AsHashTable -AsString
        $byTarget.Keys | Sort-Object | Should -Be (@($e1, $e2, $e3) | Sort-Object)
        # Smooth weighted round robin over sequential clients: each share within 5 % of the whole.
        $byTarget[$e1].Count | Should -BeGreaterOrEqual 60; $byTarget[$e1].Count | Should -BeLessOrEqual 90
        $byTarget[$e2].Count | Should -BeGreaterOrEqual 135; $byTarget[$e2].Count | Should -BeLessOrEqual 165
        $byTarget[$e3].Count | Should -BeGreaterOrEqual 60; $byTarget[$e3].Count | Should -BeLessOrEqual 90
        $job.Target | Should -Be "$e1, $e2 (weight 2), $e3"
    }

    It 'keeps a backup idle while a primary is up, and shows it in Targets' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 -Target $e1, @{ Endpoint = $e2; Backup = $true } -WarningAction SilentlyContinue
        $port = Get-TestListenPort $job
        foreach ($i in 1..20) { (Invoke-TestExchange -Port $port -Bytes 16).EchoMatches | Should -BeTrue }

        @(Receive-TestStatistics $job 20 | Where-Object Target -EQ $e1) | Should -HaveCount 20
        $targets = (Get-ZeroCopyProxy -Name $job.Name).Targets
        $targets | Should -HaveCount 2
        $targets[1].Endpoint | Should -Be $e2
        $targets[1].Backup | Should -BeTrue
        $targets[1].TotalConnections | Should -Be 0
        $targets[0].TotalConnections | Should -Be 20
    }

    It 'binds several targets from one property (a CSV field "a,b")' {
        $job = [pscustomobject]@{ Listen = '127.0.0.1:0'; Target = "$e1,$e2"; Name = 'from-csv' } | Start-ZeroCopyProxy -WarningAction SilentlyContinue

        $job.Name | Should -Be 'from-csv'
        (Get-ZeroCopyProxy from-csv).Targets.Endpoint | Should -Be @($e1, $e2)
    }

    It 'takes the Targets of another proxy, weights and backups kept' {
        $first = Start-ZeroCopyProxy 127.0.0.1:0 -Target @{ Endpoint = $e1; Weight = 3 }, @{ Endpoint = $e2; Backup = $true } -WarningAction SilentlyContinue
        $second = Start-ZeroCopyProxy 127.0.0.1:0 -Target (Get-ZeroCopyProxy -Id $first.Id).Targets -WarningAction SilentlyContinue

        $targets = (Get-ZeroCopyProxy -Id $second.Id).Targets
        $targets.Endpoint | Should -Be @($e1, $e2)
        $targets.Weight | Should -Be @(3, 1)
        $targets.Backup | Should -Be @($false, $true)
        $second.Target | Should -Be $first.Target
    }
}

Describe 'Target health on the Information stream and in Get-ZeroCopyProxy' {
    AfterEach { Remove-TestProxyJob }

    It 'marks a refusing target down with its reason; clients never see the failure' {
        $closed = "127.0.0.1:$(Get-TestClosedPort)"
        $job = Start-ZeroCopyProxy 127.0.0.1:0 -Target $closed, $e1 -Balance First -WarningAction SilentlyContinue
        $port = Get-TestListenPort $job
        foreach ($i in 1..6) { (Invoke-TestExchange -Port $port -Bytes 32).EchoMatches | Should -BeTrue }

        Wait-TestCondition -Because 'a TargetStateChanged record' { $job.Information.Count -ge 1 }
        $record = $job.Information[0]
        $record.Tags | Should -Contain 'TargetStateChanged'
        $record.MessageData.Target | Should -Be $closed
        $record.MessageData.Health | Should -Be ([ZeroCopyPS.Engine.TargetHealth]::Down)
        $record.MessageData.Reason | Should -Not -BeNullOrEmpty
        "$($record.MessageData)" | Should -BeLike "Proxy '$($job.Name)': target $closed is Down: *"

        $down = (Get-ZeroCopyProxy -Id $job.Id).Targets[0]
        $down.Health | Should -Be ([ZeroCopyPS.Engine.TargetHealth]::Down)
        $down.Failures | Should -BeGreaterOrEqual 3
        $down.Reason | Should -Not -BeNullOrEmpty
        (Get-ZeroCopyProxy -Id $job.Id).Targets[1].TotalConnections | Should -Be 6
        (Get-ZeroCopyProxy -Id $job.Id).Balance | Should -Be ([ZeroCopyPS.Engine.BalanceMode]::First)
    }

    It 'writes the same record to the Information stream with -Wait' {
        $closed = "127.0.0.1:$(Get-TestClosedPort)"
        $port = Get-TestClosedPort
        $sessionState = [initialsessionstate]::CreateDefault2()
        $sessionState.ImportPSModule((Get-TestModuleManifest))
        $ps = [powershell]::Create($sessionState)
        try {
            $null = $ps.AddCommand('Start-ZeroCopyProxy').AddParameter('Listen', "127.0.0.1:$port").
                AddParameter('Target', @($closed, $e1)).AddParameter('Balance', 'First').AddParameter('Wait')
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $inputData = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $inputData.Complete()
            $null = $ps.BeginInvoke($inputData, $output)
            Wait-TestCondition -Because 'the foreground proxy to listen' { (Test-TestConnect -Port $port) -or $ps.InvocationStateInfo.State -ne 'Running' }
            foreach ($i in 1..6) { (Invoke-TestExchange -Port $port -Bytes 32).EchoMatches | Should -BeTrue }

            # -Wait first says where it listens (also on the Information stream); the state change follows.
            Wait-TestCondition -Because 'a TargetStateChanged record' { @($ps.Streams.Information | Where-Object Tags -Contains 'TargetStateChanged').Count -ge 1 }
            $record = @($ps.Streams.Information | Where-Object Tags -Contains 'TargetStateChanged')[0]
            $record.MessageData.Target | Should -Be $closed
            $record.MessageData.Health | Should -Be ([ZeroCopyPS.Engine.TargetHealth]::Down)
            $ps.Stop()
            # Enumerated only once stopped: an open PSDataCollection's enumerator waits for more.
            @($output | Where-Object Target -EQ $e1).Count | Should -Be 7 -Because 'the probe and 6 exchanges, none failed'
        }
        finally {
            $ps.Stop()
            $ps.Dispose()
        }
    }

    It 'has a table view for Targets with health, weight, backup and counters' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 -Target $e1, @{ Endpoint = $e2; Weight = 5 } -WarningAction SilentlyContinue
        $table = (Get-ZeroCopyProxy -Id $job.Id).Targets | Format-Table | Out-String -Width 160

        (Get-FormatData ZeroCopyPS.ZeroCopyTargetStatus) | Should -Not -BeNullOrEmpty
        $table | Should -Match 'Endpoint\s+Health\s+Weight\s+Backup\s+Active\s+Total\s+Failures'
        $table | Should -Match ([regex]::Escape($e2) + '\s+Up\s+5\s+False')
    }
}

Describe 'Set-ZeroCopyProxy' {
    AfterEach { Remove-TestProxyJob }

    It '-WhatIf changes nothing' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 -Target $e1 -Name set-whatif -WarningAction SilentlyContinue
        Set-ZeroCopyProxy -Name set-whatif -Target $e2 -WhatIf

        $job.Target | Should -Be $e1
        (Invoke-TestExchange -Port (Get-TestListenPort $job)).EchoMatches | Should -BeTrue
        (Receive-TestStatistics $job 1).Target | Should -Be $e1
    }

    It 'sends new connections to the new set while an open one finishes where it is' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 -Target $e1 -Name set-live -WarningAction SilentlyContinue
        $port = Get-TestListenPort $job
        $open = Open-TestClient $port
        try {
            Invoke-TestEcho $open 1000 | Should -BeTrue

            $result = Set-ZeroCopyProxy -Name set-live -Target $e2, @{ Endpoint = $e3; Weight = 2 } -PassThru

            [object]::ReferenceEquals($result, $job) | Should -BeTrue
            $job.Target | Should -Be "$e2, $e3 (weight 2)"
            foreach ($i in 1..6) { (Invoke-TestExchange -Port $port -Bytes 32).EchoMatches | Should -BeTrue }
            Invoke-TestEcho $open 5000 | Should -BeTrue -Because 'the open connection continues to its target'
        }
        finally { $open.Dispose() }

        $records = Receive-TestStatistics $job 7
        @($records | Where-Object Target -EQ $e1) | Should -HaveCount 1
        ($records | Where-Object Target -EQ $e1).BytesClientToTarget | Should -Be 6000
        @($records | Where-Object Target -EQ $e2) | Should -HaveCount 2
        @($records | Where-Object Target -EQ $e3) | Should -HaveCount 4
    }

    It 'leaves 1,000 connections in flight where they are: none cut, none failed' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 -Target $e1 -Name set-flight -WarningAction SilentlyContinue
        $port = Get-TestListenPort $job
        $flood = [ZeroCopyPS.TestSupport.ClientFlood]::new($port, 1000, 10000, 100)
        try {
            Wait-TestCondition -TimeoutSeconds 60 -Because '1,000 connections echoed and still open' { $flood.Echoed + $flood.Refused + $flood.TimedOut + $flood.ResetByProxy + $flood.ClosedByProxy -ge 1000 }
            $flood.Echoed | Should -Be 1000 -Because $flood.Summary

            Set-ZeroCopyProxy -Name set-flight -Target $e2

            $open = @(Get-ZeroCopyConnection set-flight)
            $open | Should -HaveCount 1000
            @($open | Where-Object TargetEndPoint -EQ $e1) | Should -HaveCount 1000
            (Invoke-TestExchange -Port $port -Bytes 10).EchoMatches | Should -BeTrue
        }
        finally { $flood.Dispose() }

        $records = Receive-TestStatistics $job 1001
        $moved = @($records | Where-Object Target -EQ $e2)
        $stayed = @($records | Where-Object Target -EQ $e1)
        $moved | Should -HaveCount 1
        $stayed | Should -HaveCount 1000
        @($stayed | Where-Object { $_.BytesClientToTarget -ne 100 -or $_.BytesTargetToClient -ne 100 }) | Should -HaveCount 0
        # The clients close with FIN once echoed: every connection ends as a clean close, not a cut.
        @($stayed | Where-Object CloseReason -NotIn 'ClientClosed', 'TargetClosed') | Should -HaveCount 0
        @($receivedErrors) | Should -HaveCount 0
    }

    It 'selects by -Id, by a piped job and by a piped Name property' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 -Target $e1 -Name set-select -WarningAction SilentlyContinue

        Set-ZeroCopyProxy -Id $job.Id -Target $e2
        $job.Target | Should -Be $e2
        $job | Set-ZeroCopyProxy -Target $e3
        $job.Target | Should -Be $e3
        [pscustomobject]@{ Name = 'set-select' } | Set-ZeroCopyProxy -Target $e1
        $job.Target | Should -Be $e1
        (Get-ZeroCopyProxy -Id $job.Id).Targets.Endpoint | Should -Be $e1
    }

    It 'refuses a stopped proxy (ProxyNotRunning) and a bad target before changing any proxy (InvalidTarget)' {
        $stopped = Start-ZeroCopyProxy 127.0.0.1:0 -Target $e1 -Name set-stopped -WarningAction SilentlyContinue
        $running = Start-ZeroCopyProxy 127.0.0.1:0 -Target $e1 -Name set-running -WarningAction SilentlyContinue
        Stop-ZeroCopyProxy -Name set-stopped

        Set-ZeroCopyProxy -Name set-stopped -Target $e2 -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'ProxyNotRunning,*'
        { Set-ZeroCopyProxy -Name 'set-*' -Target $e2, @{ Endpoint = $e3; Weight = 0 } } | Should -Throw -ErrorId 'InvalidTarget,ZeroCopyPS.SetZeroCopyProxyCommand'
        $running.Target | Should -Be $e1
    }
}

Describe 'Client allow and deny rules' {
    AfterEach { Remove-TestProxyJob }

    It 'resets a denied client before any target is contacted, with a Denied record and a ClientDenied error' {
        $sink = New-TestSinkServer
        try {
            $job = Start-ZeroCopyProxy 127.0.0.1:0 -Target $sink.Endpoint -DenyClient 127.0.0.0/8 -Name deny-one -WarningAction SilentlyContinue
            $result = Invoke-TestExchange -Port (Get-TestListenPort $job) -Bytes 100

            $result.BytesReceived | Should -Be 0
            $result.Error | Should -Match 'reset'
            $record = Receive-TestStatistics $job 1
            $record.CloseReason | Should -Be ([ZeroCopyPS.Engine.CloseReason]::Denied)
            $record.Target | Should -BeNullOrEmpty
            $record.BytesClientToTarget | Should -Be 0
            $sink.Accepted | Should -Be 0
            (Get-ZeroCopyProxy -Id $job.Id).DeniedConnections | Should -Be 1
            # The error goes to the job's error stream beside the record, not before it: it may come a moment later.
            Wait-TestCondition -TimeoutSeconds 10 -Because 'the ClientDenied error record' -Condition {
                $null = Receive-Job $job -ErrorAction SilentlyContinue -ErrorVariable more
                foreach ($e in $more) { $script:receivedErrors.Add($e) }
                $receivedErrors.Count -ge 1
            }
            @($receivedErrors) | Should -HaveCount 1
            $receivedErrors[0].FullyQualifiedErrorId | Should -BeLike 'ClientDenied*'
        }
        finally { $sink.Dispose() }
    }

    It 'lets in only the -AllowClient ranges' {
        $refused = Start-ZeroCopyProxy 127.0.0.1:0 -Target $e1 -AllowClient 10.0.0.0/8, '2001:db8::/32' -WarningAction SilentlyContinue
        $allowed = Start-ZeroCopyProxy 127.0.0.1:0 -Target $e1 -AllowClient 10.0.0.0/8, 127.0.0.1 -WarningAction SilentlyContinue

        (Invoke-TestExchange -Port (Get-TestListenPort $refused) -Bytes 10).EchoMatches | Should -BeFalse
        (Invoke-TestExchange -Port (Get-TestListenPort $allowed) -Bytes 10).EchoMatches | Should -BeTrue
        (Receive-TestStatistics $refused 1).CloseReason | Should -Be ([ZeroCopyPS.Engine.CloseReason]::Denied)
        (Receive-TestStatistics $allowed 1).CloseReason | Should -Not -Be ([ZeroCopyPS.Engine.CloseReason]::Denied)
    }

    It 'writes at most one ClientDenied error per second for a burst of denials, every one counted' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 -Target $e1 -DenyClient 127.0.0.1 -WarningAction SilentlyContinue
        $port = Get-TestListenPort $job
        $clock = [Diagnostics.Stopwatch]::StartNew()
        foreach ($i in 1..60) { (Invoke-TestExchange -Port $port -Bytes 10).EchoMatches | Should -BeFalse }
        $records = Receive-TestStatistics $job 60
        $seconds = $clock.Elapsed.TotalSeconds

        @($records | Where-Object CloseReason -EQ 'Denied') | Should -HaveCount 60
        (Get-ZeroCopyProxy -Id $job.Id).DeniedConnections | Should -Be 60
        $errors = @($receivedErrors | Where-Object { $_.FullyQualifiedErrorId -like 'ClientDenied*' })
        $errors.Count | Should -BeGreaterOrEqual 1
        $errors.Count | Should -BeLessOrEqual ([math]::Ceiling($seconds) + 1)
        if ($errors.Count -gt 1) { "$($errors[1].Exception.Message)" | Should -Match 'more denied connection' }
    }
}

Describe 'Get-ZeroCopyConnection and Stop-ZeroCopyConnection' {
    BeforeEach {
        $script:source = [ZeroCopyPS.TestSupport.EndlessSource]::new()
        # -DrainTimeout 0: the clean-up resets the endless transfer instead of waiting out a drain.
        $script:job = Start-ZeroCopyProxy 127.0.0.1:0 -Target $source.EndPoint -Name live -DrainTimeout 0 -WarningAction SilentlyContinue
        $script:download = [ZeroCopyPS.TestSupport.Downloader]::new((Get-TestListenPort $job), 5000)
        Wait-TestCondition -Because 'an open connection relaying' { @(Get-ZeroCopyConnection live | Where-Object BytesTargetToClient -GT 1MB).Count -eq 1 }
    }
    AfterEach {
        Remove-TestProxyJob
        $download.Dispose()
        $source.Dispose()
    }

    It 'lists the open connection with its counts growing through 256 MiB, without pausing it' {
        $first = Get-ZeroCopyConnection -ProxyName live
        $seen = [Collections.Generic.List[long]]::new()
        $seen.Add($first.BytesTargetToClient)
        Wait-TestCondition -TimeoutSeconds 60 -Because '256 MiB to pass' {
            $seen.Add((Get-ZeroCopyConnection live -Id $first.ConnectionId).BytesTargetToClient)
            $seen[-1] -ge 256MB
        }
        $later = Get-ZeroCopyConnection live -Id $first.ConnectionId

        $seen.Count | Should -BeGreaterOrEqual 2
        for ($i = 1; $i -lt $seen.Count; $i++) { $seen[$i] | Should -BeGreaterOrEqual $seen[$i - 1] }
        $seen[-1] | Should -BeGreaterThan $seen[0]

        $first | Should -BeOfType ([ZeroCopyPS.Engine.ConnectionInfo])
        $later.ConnectionId | Should -Be $first.ConnectionId
        $later.State | Should -Be ([ZeroCopyPS.Engine.ConnectionState]::Relaying)
        $later.TargetEndPoint | Should -Be $source.EndPoint
        $later.ClientEndPoint | Should -Match '^127\.0\.0\.1:\d+$'
        $later.Age | Should -BeGreaterThan $first.Age
        [Threading.Interlocked]::Read([ref] $download.BytesReceived) | Should -BeGreaterThan $first.BytesTargetToClient
        (Get-ZeroCopyProxy live | Get-ZeroCopyConnection).ConnectionId | Should -Be $first.ConnectionId
        $later | Format-Table | Out-String -Width 160 | Should -Match 'Proxy\s+Id\s+Client\s+Target\s+Age\s+ToTarget\s+ToClient\s+CopyPath\s+State'
    }

    It '-WhatIf closes nothing' {
        Get-ZeroCopyConnection live | Stop-ZeroCopyConnection -WhatIf
        $before = (Get-ZeroCopyConnection live).BytesTargetToClient
        Wait-TestCondition -Because 'the connection to keep moving' { (Get-ZeroCopyConnection live).BytesTargetToClient -gt $before + 4MB }
        $download.Outcome.IsCompleted | Should -BeFalse
    }

    It 'resets both peers by default; the record says Closed' {
        Get-ZeroCopyConnection live | Stop-ZeroCopyConnection

        $download.Outcome.Wait(10000) | Should -BeTrue
        $download.Outcome.Result | Should -Be 'ConnectionReset'
        $source.SendEnded.Wait(10000) | Should -BeTrue
        $source.SendEnded.Result | Should -BeIn 'Reset', 'BrokenPipe'
        $record = Receive-TestStatistics $job 1
        $record.CloseReason | Should -Be ([ZeroCopyPS.Engine.CloseReason]::Closed)
        @(Get-ZeroCopyConnection live) | Should -HaveCount 0
    }

    It '-Graceful delivers what is in flight, then FIN: the client gets every byte counted and an end of stream' {
        $id = (Get-ZeroCopyConnection live).ConnectionId
        Stop-ZeroCopyConnection -ProxyName live -Id $id -Graceful

        $download.Outcome.Wait(10000) | Should -BeTrue
        $download.Outcome.Result | Should -Be 'EOF'
        $record = Receive-TestStatistics $job 1
        $record.CloseReason | Should -Be ([ZeroCopyPS.Engine.CloseReason]::Closed)
        $record.BytesTargetToClient | Should -Be ([Threading.Interlocked]::Read([ref] $download.BytesReceived))
    }

    It 'reports a connection that is not open (ConnectionNotFound) and an unknown proxy (ProxyNotFound)' {
        Stop-ZeroCopyConnection -ProxyName live -Id 999999 -ErrorVariable notOpen -ErrorAction SilentlyContinue
        Stop-ZeroCopyConnection -ProxyName nosuchproxy -Id 1 -ErrorVariable noProxy -ErrorAction SilentlyContinue
        Get-ZeroCopyConnection -ProxyName live -Id 999999 -ErrorVariable notListed -ErrorAction SilentlyContinue

        $notOpen[0].FullyQualifiedErrorId | Should -BeLike 'ConnectionNotFound,*'
        $noProxy[0].FullyQualifiedErrorId | Should -BeLike 'ProxyNotFound,*'
        $notListed[0].FullyQualifiedErrorId | Should -BeLike 'ConnectionNotFound,*'
        @(Get-ZeroCopyConnection live) | Should -HaveCount 1
    }
}

Describe 'Bad -Target, -AllowClient and -DenyClient' {
    AfterEach { Remove-TestProxyJob }

    It 'refuses -Target <Shown> with <Id>' -ForEach @(
        @{ Shown = '@{ Port = 80 }'; Value = @{ Port = 80 }; Id = 'InvalidTarget' }
        @{ Shown = '@{ Endpoint = $null }'; Value = @{ Endpoint = $null; Weight = 2 }; Id = 'InvalidTarget' }
        @{ Shown = 'weight 0'; Value = @{ Endpoint = '127.0.0.1:1'; Weight = 0 }; Id = 'InvalidTarget' }
        @{ Shown = 'weight 1001'; Value = @{ Endpoint = '127.0.0.1:1'; Weight = 1001 }; Id = 'InvalidTarget' }
        @{ Shown = "weight 'x'"; Value = @{ Endpoint = '127.0.0.1:1'; Weight = 'x' }; Id = 'InvalidTarget' }
        @{ Shown = "Backup 'maybe'"; Value = @{ Endpoint = '127.0.0.1:1'; Backup = 'maybe' }; Id = 'InvalidTarget' }
        @{ Shown = 'an object without Endpoint'; Value = [pscustomobject]@{ Host = 'db'; Port = 1 }; Id = 'InvalidTarget' }
        @{ Shown = "@{ Endpoint = 'db' }"; Value = @{ Endpoint = 'db' }; Id = 'InvalidEndpoint' }
        @{ Shown = "'a:1,'"; Value = '127.0.0.1:1,'; Id = 'InvalidEndpoint' }
    ) {
        { Start-ZeroCopyProxy 127.0.0.1:0 -Target '127.0.0.1:9', $Value } | Should -Throw -ErrorId "$Id,ZeroCopyPS.StartZeroCopyProxyCommand"
        $err = $null
        try { Start-ZeroCopyProxy 127.0.0.1:0 -Target $Value } catch { $err = $_ }
        "$($err.Exception.Message) $($err.ErrorDetails.Message)" | Should -Match '-Target\b'
        @(Get-Job | Where-Object PSJobTypeName -EQ 'ZeroCopyProxy') | Should -HaveCount 0
    }

    It 'refuses -<Parameter> <Value> with InvalidClientRule naming the parameter' -ForEach @(
        foreach ($parameter in 'AllowClient', 'DenyClient') {
            foreach ($value in 'localhost', '10.0.0.1/33', '192.0.2.1/24', '1.2', '*', '127.0.0.*', '2001:db8::/129', '10.0.0.0/', '10.0.0.0/-1', ' 10.0.0.1', 'fe80::1%lo') {
                @{ Parameter = $parameter; Value = $value }
            }
        }
    ) {
        $arguments = @{ Listen = '127.0.0.1:0'; Target = $e1; $Parameter = $Value }
        $err = $null
        try { Start-ZeroCopyProxy @arguments } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'InvalidClientRule,ZeroCopyPS.StartZeroCopyProxyCommand'
        $err.Exception.Message | Should -Match "-$Parameter\b"
    }

    It 'accepts IPv4, IPv6 and IPv4-mapped addresses and ranges' {
        $job = Start-ZeroCopyProxy 127.0.0.1:0 -Target $e1 -AllowClient 127.0.0.1, 10.0.0.0/8, '::1', '2001:db8::/32', '::ffff:127.0.0.1' -DenyClient '0.0.0.0/0', '::/0' -WarningAction SilentlyContinue
        $job.JobStateInfo.State | Should -Be 'Running'
        $job.Command | Should -Match '-AllowClient 127\.0\.0\.1,10\.0\.0\.0/8,::1,2001:db8::/32,::ffff:127\.0\.0\.1'
    }
}
