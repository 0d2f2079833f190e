<#
.SYNOPSIS
Times Save-ResumableFile against curl, aria2c and Invoke-WebRequest on loopback, side by side.

.DESCRIPTION
Each scenario runs every tool in turn (A B C A B C ...) -Runs times and reports the median wall time, the
ratio to the scenario's reference tool and the peak resident memory of each tool's whole process tree.
Times include process start-up (pwsh's too), because that is what a user waits for.
Writes docs/benchmarks.md and docs/benchmarks.json. Run through `dotnet pwsh ./build.ps1 -Task Bench [-Quick]`,
which builds and stages the module first. Never part of the test command.
#>
param(
    [switch] $Quick,
    [int] $Runs = 3,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/ResumeTransfer'),
    [string] $OutDir = (Join-Path $PSScriptRoot '../docs')
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'ProcessTreeMeter.ps1')
. (Join-Path $PSScriptRoot 'TargetReport.ps1')
. (Join-Path $PSScriptRoot 'UploadKillScenario.ps1')
. (Join-Path $PSScriptRoot 'FtpBenchmark.ps1')
. (Join-Path $PSScriptRoot 'S3DownloadBenchmark.ps1')
. (Join-Path $PSScriptRoot '../tests/peers/nginx.ps1')

$ModulePath = (Resolve-Path $ModulePath).Path
$pwshDll = Join-Path $PSHOME 'pwsh.dll'
$dotnet = (Get-Command dotnet).Source
foreach ($tool in 'curl', 'aria2c') {
    if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "$tool is missing: apt-get install -y curl aria2" }
}

$work = Join-Path ([System.IO.Path]::GetTempPath()) "rt-bench-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
$www = Join-Path $work 'www'
$dl = Join-Path $work 'dl'
New-Item -ItemType Directory -Path $www, $dl -Force | Out-Null

function New-DataFile([string] $Name, [long] $Bytes) {
    $path = Join-Path $www $Name
    # Random bytes, so nothing along the way can compress or deduplicate them.
    & head -c $Bytes /dev/urandom > $path
    $path
}

function Invoke-Pwsh([string] $Script) {
    @{ File = $dotnet; Args = @($pwshDll, '-NoProfile', '-NonInteractive', '-Command', $Script) }
}

function Our([string] $Uri, [string] $Extra = '') {
    Invoke-Pwsh "`$ProgressPreference='SilentlyContinue'; Import-Module '$ModulePath'; Save-ResumableFile -Uri '$Uri' -OutFile '$dl/ours.bin' -Force $Extra"
}

# Before every run: the previous run's files are removed (downloads, and what an upload peer stored in a folder named
# in $serverDirs), then written back to disk with sync, so no run pays for the writeback of the one before it.
$serverDirs = [System.Collections.Generic.List[string]]::new()
function Clear-Downloads {
    Get-ChildItem $dl -Force | Remove-Item -Recurse -Force
    foreach ($d in $serverDirs) { Get-ChildItem -LiteralPath $d -Force -ErrorAction SilentlyContinue | Remove-Item -Recurse -Force }
    & sync
}

# The middle value (the lower of the two middle ones for an even count).
function Get-Median([double[]] $Values) { ($Values | Sort-Object)[[int][math]::Floor(($Values.Count - 1) / 2)] }

# Runs each tool of one scenario in turn, Runs times; returns one row per tool.
function Invoke-Scenario {
    param([string] $Scenario, [string] $Reference, [System.Collections.Specialized.OrderedDictionary] $Tools, [long] $Bytes = 0, [int] $RunCount = $Runs)
    Write-Host "== $Scenario"
    $times = @{}; $peaks = @{}
    foreach ($name in $Tools.Keys) { $times[$name] = [System.Collections.Generic.List[double]]::new(); $peaks[$name] = [System.Collections.Generic.List[double]]::new() }
    for ($i = 0; $i -lt $RunCount; $i++) {
        foreach ($name in $Tools.Keys) {
            Clear-Downloads
            $t = $Tools[$name]
            $m = Measure-ProcessTree -FileName $t.File -ArgumentList $t.Args -WorkingDirectory $dl
            if ($m.ExitCode -ne 0) { throw "$Scenario / $name failed ($($m.ExitCode)): $($m.StdErr)$($m.StdOut)" }
            $times[$name].Add($m.Seconds)
            $peaks[$name].Add($m.PeakBytes)
            Write-Host ("   {0,-28} {1,7:0.000} s  {2,6:0} MiB" -f $name, $m.Seconds, ($m.PeakBytes / 1MB))
        }
    }
    $refMedian = Get-Median $times[$Reference]
    foreach ($name in $Tools.Keys) {
        $med = Get-Median $times[$name]
        [pscustomobject]@{
            Scenario      = $Scenario
            Tool          = $name
            Runs          = $times[$name].Count
            MedianSeconds = [math]::Round($med, 3)
            RatioToRef    = [math]::Round($med / $refMedian, 3)
            Reference     = $Reference
            MiBPerSecond  = if ($Bytes) { [math]::Round($Bytes / 1MB / $med, 1) } else { $null }
            # Peak memory varies by several MiB from run to run (GC and JIT timing): the median of the runs'
            # peaks, like the time, and the largest beside it.
            PeakMiB       = [math]::Round((Get-Median $peaks[$name]) / 1MB, 1)
            MaxPeakMiB    = [math]::Round(($peaks[$name] | Measure-Object -Maximum).Maximum / 1MB, 1)
        }
    }
}

# Runs a pwsh script that prints "INNER <seconds>" (its own Stopwatch around the work, after Import-Module) Runs
# times; returns one row whose time leaves pwsh start-up and Import-Module out, compared with the scenario's reference row.
function Invoke-InnerScenario {
    param([string] $Scenario, [string] $Tool, [string] $Script, [string] $Reference, [int] $Files)
    $inner = [System.Collections.Generic.List[double]]::new()
    $peaks = [System.Collections.Generic.List[double]]::new()
    for ($i = 0; $i -lt $Runs; $i++) {
        Clear-Downloads
        $t = Invoke-Pwsh $Script
        $m = Measure-ProcessTree -FileName $t.File -ArgumentList $t.Args -WorkingDirectory $dl
        if ($m.ExitCode -ne 0 -or $m.StdOut -notmatch 'INNER (\S+)') { throw "$Scenario / $Tool failed ($($m.ExitCode)): $($m.StdErr)$($m.StdOut)" }
        $inner.Add([double]::Parse($Matches[1], [System.Globalization.CultureInfo]::InvariantCulture))
        $peaks.Add($m.PeakBytes)
        Write-Host ("   {0,-28} {1,7:0.000} s inside pwsh" -f $Tool, $inner[-1])
    }
    $med = Get-Median $inner
    $ref = $rows | Where-Object { $_.Scenario -eq $Scenario -and $_.Tool -eq $Reference } | Select-Object -First 1
    [pscustomobject]@{
        Scenario       = $Scenario
        Tool           = $Tool
        Runs           = $inner.Count
        MedianSeconds  = [math]::Round($med, 3)
        RatioToRef     = [math]::Round($med / $ref.MedianSeconds, 3)
        Reference      = $Reference
        MiBPerSecond   = $null
        PeakMiB        = [math]::Round((Get-Median $peaks) / 1MB, 1)
        MaxPeakMiB     = [math]::Round(($peaks | Measure-Object -Maximum).Maximum / 1MB, 1)
        FilesPerSecond = [math]::Round($Files / $med)
    }
}

$rows = [System.Collections.Generic.List[object]]::new()
$nginx = $null
try {
    $bigSize = if ($Quick) { 256MB } else { 1GB }
    $bigLabel = if ($Quick) { '256 MiB' } else { '1 GiB' }
    New-DataFile 'big.bin' $bigSize | Out-Null
    New-DataFile 'one-k.bin' 1KB | Out-Null
    # /files/ at full speed, /slow/ capped at 20 MiB/s per connection like a CDN.
    $nginx = Start-NginxPeer -Root $www -SlowRate '20m'
    $plain = "$($nginx.BaseUri)/files"
    $capped = "$($nginx.BaseUri)/slow"

    # 1. One connection, no cap.
    $tools = [ordered]@{
        'curl'                       = @{ File = 'curl'; Args = @('-sS', '-f', '-o', "$dl/curl.bin", "$plain/big.bin") }
        'Save-ResumableFile -Conn 1' = Our "$plain/big.bin" '-Connections 1'
        'Invoke-WebRequest'          = Invoke-Pwsh "`$ProgressPreference='SilentlyContinue'; Invoke-WebRequest -Uri '$plain/big.bin' -OutFile '$dl/iwr.bin'"
    }
    $rows.AddRange(@(Invoke-Scenario "$bigLabel, 1 connection, no cap" 'curl' $tools $bigSize))

    # 2. Several connections, no cap.
    $tools = [ordered]@{
        'curl'                       = @{ File = 'curl'; Args = @('-sS', '-f', '-o', "$dl/curl.bin", "$plain/big.bin") }
        'Save-ResumableFile -Conn 4' = Our "$plain/big.bin" '-Connections 4'
        'Save-ResumableFile -Conn 8' = Our "$plain/big.bin" '-Connections 8'
        'aria2c -x 8 -s 8'           = @{ File = 'aria2c'; Args = @('-q', '-x', '8', '-s', '8', '--allow-overwrite=true', '--file-allocation=none', '-d', $dl, '-o', 'aria.bin', "$plain/big.bin") }
    }
    $rows.AddRange(@(Invoke-Scenario "$bigLabel, 4 and 8 connections, no cap" 'curl' $tools $bigSize))

    # 3. A CDN-like 20 MiB/s cap per connection: speed-up over one connection, at 256 MiB and (full run) 1 GiB. The
    #    1 GiB run shows the speed-up once pwsh start-up (about 0.45 s) no longer weighs on it, and gives the peak
    #    memory of 16 connections on a long download (flat as the file grows: compare with the 256 MiB row).
    $connCounts = if ($Quick) { 1, 4 } else { 1, 4, 8, 16 }
    New-DataFile 'capped.bin' 256MB | Out-Null
    $cappedFiles = [ordered]@{ '256 MiB' = @('capped.bin', 256MB) }
    if (-not $Quick) { $cappedFiles['1 GiB'] = @('big.bin', $bigSize) }
    foreach ($label in $cappedFiles.Keys) {
        $file, $size = $cappedFiles[$label]
        $tools = [ordered]@{}
        foreach ($n in $connCounts) {
            $tools["Save-ResumableFile -Conn $n"] = Our "$capped/$file" "-Connections $n"
            $tools["aria2c -x $n -s $n"] = @{ File = 'aria2c'; Args = @('-q', '-x', "$n", '-s', "$n", '--min-split-size=1M', '--allow-overwrite=true', '--file-allocation=none', '-d', $dl, '-o', 'aria.bin', "$capped/$file") }
        }
        $rows.AddRange(@(Invoke-Scenario "$label, 20 MiB/s per-connection cap" 'Save-ResumableFile -Conn 1' $tools $size))
    }

    # 4. Start-up: Import-Module plus a 1 KiB download in a fresh pwsh, against IWR in a fresh pwsh.
    $tools = [ordered]@{
        'Invoke-WebRequest 1 KiB'  = Invoke-Pwsh "`$ProgressPreference='SilentlyContinue'; Invoke-WebRequest -Uri '$plain/one-k.bin' -OutFile '$dl/iwr.bin'"
        'Save-ResumableFile 1 KiB' = Our "$plain/one-k.bin"
        'pwsh -c exit'             = Invoke-Pwsh 'exit 0'
    }
    $rows.AddRange(@(Invoke-Scenario 'Fresh pwsh: import + 1 KiB download' 'Invoke-WebRequest 1 KiB' $tools))

    # 4b. Peak memory of 16 connections against pwsh itself, on a small and a large file (flat as the file grows?).
    #     More runs than elsewhere: the resident set of one and the same command, `pwsh -c exit` included, lands
    #     about 10 MiB higher in roughly every other run (the runtime's own heap), and a median of 3 is a coin toss.
    $tools = [ordered]@{
        'pwsh -c exit'                         = Invoke-Pwsh 'exit 0'
        'Save-ResumableFile -Conn 16, 256 MiB' = Our "$plain/capped.bin" '-Connections 16'
    }
    if (-not $Quick) { $tools['Save-ResumableFile -Conn 16, 1 GiB'] = Our "$plain/big.bin" '-Connections 16' }
    $rows.AddRange(@(Invoke-Scenario 'Peak memory, 16 connections, no cap' 'pwsh -c exit' $tools -RunCount ([math]::Max($Runs, 7))))

    # 5. Progress shown versus hidden.
    $tools = [ordered]@{
        'progress hidden' = Our "$plain/big.bin" '-Connections 4'
        'progress shown'  = Invoke-Pwsh "`$ProgressPreference='Continue'; Import-Module '$ModulePath'; Save-ResumableFile -Uri '$plain/big.bin' -OutFile '$dl/ours.bin' -Force -Connections 4"
    }
    $rows.AddRange(@(Invoke-Scenario "$bigLabel, progress shown vs hidden" 'progress hidden' $tools $bigSize))

    # 6. Many small files through the pipeline (nginx: plain loopback).
    $listDir = Join-Path $work 'lists'
    New-Item -ItemType Directory -Path $listDir -Force | Out-Null
    $fileCount = 200
    $chunk = [byte[]]::new(256KB)
    for ($i = 1; $i -le $fileCount; $i++) {
        [System.Random]::Shared.NextBytes($chunk)
        [System.IO.File]::WriteAllBytes((Join-Path $www ('f{0:000}.bin' -f $i)), $chunk)
    }
    function Write-Lists([string] $Base, [string] $Suffix) {
        $names = 1..$fileCount | ForEach-Object { 'f{0:000}.bin' -f $_ }
        $names | ForEach-Object { [pscustomobject]@{ Uri = "$Base/$_$Suffix"; OutFile = "$dl/$_" } } |
            Export-Csv -Path "$listDir/list.csv" -NoTypeInformation
        ($names | ForEach-Object { "url = `"$Base/$_$Suffix`"`noutput = `"$dl/$_`"" }) -join "`n" | Set-Content "$listDir/curl.cfg"
        ($names | ForEach-Object { "$Base/$_$Suffix`n  out=$_" }) -join "`n" | Set-Content "$listDir/aria2.txt"
    }
    $manyTools = {
        [ordered]@{
            'curl -Z --parallel-max 8' = @{ File = 'curl'; Args = @('-sS', '-f', '-Z', '--parallel-max', '8', '-K', "$listDir/curl.cfg") }
            'aria2c -j 8'              = @{ File = 'aria2c'; Args = @('-q', '-j', '8', '--allow-overwrite=true', '--file-allocation=none', '-d', $dl, '-i', "$listDir/aria2.txt") }
            'Import-Csv | Save-ResumableFile -ThrottleLimit 8' = Invoke-Pwsh "`$ProgressPreference='SilentlyContinue'; Import-Module '$ModulePath'; Import-Csv '$listDir/list.csv' | Save-ResumableFile -ThrottleLimit 8 -Force"
        }
    }
    $innerScript = "`$ProgressPreference='SilentlyContinue'; Import-Module '$ModulePath'; `$w = [Diagnostics.Stopwatch]::StartNew(); Import-Csv '$listDir/list.csv' | Save-ResumableFile -ThrottleLimit 8 -Force; 'INNER ' + `$w.Elapsed.TotalSeconds.ToString([cultureinfo]::InvariantCulture)"
    $innerTool = 'same, timed inside pwsh after Import-Module'
    Write-Lists $plain ''
    $rows.AddRange(@(Invoke-Scenario "$fileCount files of 256 KiB, 8 at a time" 'curl -Z --parallel-max 8' (& $manyTools)))
    $rows.Add((Invoke-InnerScenario "$fileCount files of 256 KiB, 8 at a time" $innerTool $innerScript 'curl -Z --parallel-max 8' $fileCount))

    # The same with 20 ms added before each response (the project's test server adds it; nginx cannot).
    $serverDll = Join-Path $PSScriptRoot '../tests/ResumeTransfer.TestServer/bin/Release/net10.0/ResumeTransfer.TestServer.dll'
    if (Test-Path $serverDll) {
        $ts = Start-Process -FilePath $dotnet -ArgumentList $serverDll, '--port', '0' -PassThru -RedirectStandardOutput "$work/ts.out" -RedirectStandardError "$work/ts.err"
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not (Select-String -Path "$work/ts.out" -Pattern '^READY ' -Quiet -ErrorAction SilentlyContinue)) {
                if ($ts.HasExited -or [DateTime]::UtcNow -gt $deadline) { throw "test server did not start: $(Get-Content "$work/ts.err" -Raw)" }
                Start-Sleep -Milliseconds 100
            }
            $tsBase = ((Select-String -Path "$work/ts.out" -Pattern '^READY (\S+)').Matches[0].Groups[1].Value).TrimEnd('/')
            Write-Lists "$tsBase/files" '?size=262144&latency=20'
            $rows.AddRange(@(Invoke-Scenario "$fileCount files of 256 KiB, 8 at a time, 20 ms latency" 'curl -Z --parallel-max 8' (& $manyTools)))
            $rows.Add((Invoke-InnerScenario "$fileCount files of 256 KiB, 8 at a time, 20 ms latency" $innerTool $innerScript 'curl -Z --parallel-max 8' $fileCount))
        }
        finally { $ts.Kill($true) }
    }

    # 7. kill -9 at half time with 8 connections under the cap, then resume: time and bytes fetched twice.
    $killSize = if ($Quick) { 256MB } else { 1GB }
    if (-not $Quick) { New-DataFile 'kill.bin' $killSize | Out-Null } else { Copy-Item (Join-Path $www 'capped.bin') (Join-Path $www 'kill.bin') }
    $resumeTools = [ordered]@{
        'Save-ResumableFile -Conn 8' = @{
            Run    = Invoke-Pwsh "`$ProgressPreference='SilentlyContinue'; Import-Module '$ModulePath'; Save-ResumableFile -Uri '$capped/kill.bin' -OutFile '$dl/kill.bin' -Connections 8 -Resume"
        }
        'aria2c -x 8 -s 8'           = @{
            Run    = @{ File = 'aria2c'; Args = @('-q', '-c', '-x', '8', '-s', '8', '--min-split-size=1M', '--file-allocation=none', '-d', $dl, '-o', 'kill.bin', "$capped/kill.bin") }
        }
    }
    Write-Host '== kill -9 at 50%, then resume'
    foreach ($name in $resumeTools.Keys) {
        $run = $resumeTools[$name].Run
        Clear-Downloads
        $whole = Measure-ProcessTree -FileName $run.File -ArgumentList $run.Args -WorkingDirectory $dl
        Clear-Downloads
        Clear-Content $nginx.AccessLog
        $first = Measure-ProcessTree -FileName $run.File -ArgumentList $run.Args -WorkingDirectory $dl -KillAfterSec ($whole.Seconds / 2)
        $second = Measure-ProcessTree -FileName $run.File -ArgumentList $run.Args -WorkingDirectory $dl
        if ($second.ExitCode -ne 0) { throw "$name resume failed: $($second.StdErr)" }
        $sent = (Read-NginxAccessLog $nginx | Where-Object Uri -Like '*/kill.bin' | Measure-Object BodyBytes -Sum).Sum
        $refetched = [math]::Max(0, $sent - $killSize)
        Write-Host ("   {0,-28} whole {1:0.00} s, killed+resumed {2:0.00} s, re-fetched {3:0.0} %" -f $name, $whole.Seconds, ($first.Seconds + $second.Seconds), (100 * $refetched / $killSize))
        $rows.Add([pscustomobject]@{
            Scenario      = "kill -9 at 50% of $([math]::Round($killSize / 1MB)) MiB, 8 connections, 20 MiB/s cap, then resume"
            Tool          = $name
            Runs          = 1
            MedianSeconds = [math]::Round($first.Seconds + $second.Seconds, 3)
            RatioToRef    = [math]::Round(($first.Seconds + $second.Seconds) / $whole.Seconds, 3)
            Reference     = 'its own uninterrupted run'
            MiBPerSecond  = $null
            PeakMiB       = [math]::Round([math]::Max($first.PeakBytes, $second.PeakBytes) / 1MB, 1)
            RefetchedPercent = [math]::Round(100 * $refetched / $killSize, 2)
        })
    }

    # 7b. FTP (bench/FtpBenchmark.ps1): one connection against curl ftp://, whole process and inside one warm pwsh.
    $rows.AddRange(@(Invoke-FtpBenchmark -ModulePath $ModulePath -Work $work -Bytes $bigSize -Runs $Runs))

    # 8. Uploads: tus against tus-js-client, S3 multipart to Swift s3api against @aws-sdk/lib-storage.
    if (Get-Command node -ErrorAction SilentlyContinue) {
        $peersRun = Join-Path $work 'peers'
        $env:PEERS_RUN = $peersRun
        $env:PEERS = 'tus,swift'
        & bash (Join-Path $PSScriptRoot '../tests/peers/start-peers.sh') | Out-Null
        if ($LASTEXITCODE -ne 0) { throw 'the upload peers did not start (see tests/peers/start-peers.sh)' }
        try {
            $peerEnv = @{}
            foreach ($line in Get-Content "$peersRun/peers.env") { $k, $v = $line -split '=', 2; $peerEnv[$k] = $v }
            $serverDirs.Add($peerEnv.TUS_DIR)
            $upSize = if ($Quick) { 256MB } else { 1GB }
            $upFile = New-DataFile 'upload.bin' $upSize
            $chunk = 8MB
            $node = (Get-Command node).Source
            $tools = [ordered]@{
                'tus-js-client 4.3.1' = @{ File = $node; Args = @((Join-Path $PSScriptRoot 'tus-js-upload.cjs'), $peerEnv.TUS_ENDPOINT, $upFile, "$chunk") }
                'Send-ChunkedFile -Protocol Tus' = Invoke-Pwsh "`$ProgressPreference='SilentlyContinue'; Import-Module '$ModulePath'; Send-ChunkedFile -Path '$upFile' -Uri '$($peerEnv.TUS_ENDPOINT)' -Protocol Tus -ChunkSize $chunk"
            }
            $rows.AddRange(@(Invoke-Scenario "$([math]::Round($upSize / 1MB)) MiB tus upload, $($chunk / 1MB) MiB chunks" 'tus-js-client 4.3.1' $tools $upSize))

            $s3 = $peerEnv.SWIFT_S3_ENDPOINT
            $credScript = "`$c = [pscredential]::new('$($peerEnv.SWIFT_S3_ACCESS_KEY)', (ConvertTo-SecureString '$($peerEnv.SWIFT_S3_SECRET_KEY)' -AsPlainText -Force))"
            $tools = [ordered]@{
                '@aws-sdk/lib-storage queueSize 4' = @{ File = $node; Args = @((Join-Path $PSScriptRoot 's3-lib-upload.cjs'), $s3, 'test-bucket', 'bench-lib.bin', $upFile, $peerEnv.SWIFT_S3_ACCESS_KEY, $peerEnv.SWIFT_S3_SECRET_KEY, '4', "$chunk") }
                'Send-ChunkedFile -Protocol S3 -Connections 4' = Invoke-Pwsh "`$ProgressPreference='SilentlyContinue'; Import-Module '$ModulePath'; $credScript; Send-ChunkedFile -Path '$upFile' -Uri 's3://test-bucket/bench-ours.bin' -Endpoint '$s3' -Credential `$c -Protocol S3 -Connections 4 -ChunkSize $chunk"
            }
            $rows.AddRange(@(Invoke-Scenario "$([math]::Round($upSize / 1MB)) MiB S3 multipart to Swift s3api, 4 parts in flight" '@aws-sdk/lib-storage queueSize 4' $tools $upSize))

            # 9. kill -9 mid-upload at 50%, then resume: bytes sent twice (tus against tus-js-client, and S3).
            $rows.AddRange(@(Invoke-UploadKillScenario -PeerEnv $peerEnv -UpFile $upFile -UpSize $upSize -Chunk $chunk -ModulePath $ModulePath -Work $work))

            # 10. s3:// download, 4 connections against 1, behind a relay that caps each connection (S3DownloadBenchmark.ps1).
            $rows.AddRange(@(Invoke-S3DownloadScenario -PeerEnv $peerEnv -ModulePath $ModulePath -Work $work -Runs $Runs))
        }
        finally {
            & bash (Join-Path $PSScriptRoot '../tests/peers/stop-peers.sh') | Out-Null
            Remove-Item Env:PEERS_RUN, Env:PEERS -ErrorAction SilentlyContinue
        }
    }
}
finally {
    Stop-NginxPeer $nginx
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}

foreach ($r in $rows) {
    if ($r.Scenario -match '^(\d+) files' -and -not $r.PSObject.Properties['FilesPerSecond']) {
        $r | Add-Member FilesPerSecond ([math]::Round([int]$Matches[1] / $r.MedianSeconds))
    }
}
$rows | Format-Table Scenario, Tool, MedianSeconds, RatioToRef, MiBPerSecond, PeakMiB -AutoSize | Out-String -Width 200 | Write-Host
$targets = @(Get-TargetReport $rows)
$targets | Format-Table Target, Goal, Measured, Met -AutoSize | Out-String -Width 200 | Write-Host

New-Item -ItemType Directory -Path $OutDir -Force | Out-Null
$cpu = (Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '^model name\s*:\s*', ''
$meta = [ordered]@{
    date       = (Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm UTC')
    machine    = "$([Environment]::ProcessorCount) cores, $cpu, $([math]::Round((Get-Content /proc/meminfo -TotalCount 1).Split(' ', [StringSplitOptions]::RemoveEmptyEntries)[1] / 1MB)) GiB"
    pwsh       = $PSVersionTable.PSVersion.ToString()
    curl       = ((& curl --version) | Select-Object -First 1)
    aria2c     = ((& aria2c --version) | Select-Object -First 1)
    nginx      = ((& nginx -v 2>&1) | Out-String).Trim()
    runs       = $Runs
    quick      = [bool]$Quick
}
[ordered]@{ meta = $meta; targets = $targets; results = $rows } | ConvertTo-Json -Depth 5 | Set-Content (Join-Path $OutDir 'benchmarks.json')

Write-BenchmarkMarkdown -Meta $meta -Targets $targets -Rows $rows -Path (Join-Path $OutDir 'benchmarks.md')
Write-Host "Wrote $(Join-Path $OutDir 'benchmarks.md')"
