# Reads the bench rows and says, target by target (issue 5), what was measured and whether it meets the goal
# (Get-TargetReport), and writes docs/benchmarks.md (Write-BenchmarkMarkdown). A target whose rows were not measured
# in this run (-Quick, or a peer missing) is left out rather than guessed. To render the page again from the JSON:
#   $j = Get-Content docs/benchmarks.json -Raw | ConvertFrom-Json -AsHashtable
#   Write-BenchmarkMarkdown -Meta $j.meta -Targets $j.targets -Rows $j.results -Path docs/benchmarks.md

function Get-TargetReport {
    param([Parameter(Mandatory)] [object[]] $Rows)

    function Find([string] $ScenarioLike, [string] $Tool) {
        $Rows | Where-Object { $_.Scenario -like $ScenarioLike -and $_.Tool -eq $Tool } | Select-Object -First 1
    }
    function Target([string] $Name, [string] $Goal, [string] $Measured, [bool] $Met) {
        [pscustomobject]@{ Target = $Name; Goal = $Goal; Measured = $Measured; Met = $Met }
    }

    if ($r = Find '*, 1 connection, no cap' 'Save-ResumableFile -Conn 1') {
        Target "$($r.Scenario)" '≤ 1.15× curl' "$($r.RatioToRef)×" ($r.RatioToRef -le 1.15)
    }
    if ($r = Find '* over FTP, 1 connection' 'Save-ResumableFile -Conn 1, inside one warm pwsh') {
        Target "$($r.Scenario), inside one pwsh session" '≤ 1.1× curl' "$($r.RatioToRef)×" ($r.RatioToRef -le 1.1)
    }
    foreach ($n in 4, 8) {
        if ($r = Find '*, 4 and 8 connections, no cap' "Save-ResumableFile -Conn $n") {
            Target "$($r.Scenario -replace '4 and 8', $n)" '≤ 0.9× curl' "$($r.RatioToRef)×" ($r.RatioToRef -le 0.9)
        }
    }
    $speedupGoal = @{ 4 = 3.6; 8 = 6.8; 16 = 12 }
    foreach ($size in '256 MiB', '1 GiB') {
        $one = Find "$size, 20 MiB/s per-connection cap" 'Save-ResumableFile -Conn 1'
        $ariaOne = Find "$size, 20 MiB/s per-connection cap" 'aria2c -x 1 -s 1'
        if (-not $one) { continue }
        foreach ($n in 4, 8, 16) {
            $r = Find "$size, 20 MiB/s per-connection cap" "Save-ResumableFile -Conn $n"
            if (-not $r) { continue }
            $speedup = [math]::Round($one.MedianSeconds / $r.MedianSeconds, 2)
            $aria = Find "$size, 20 MiB/s per-connection cap" "aria2c -x $n -s $n"
            $ariaText = if ($aria -and $ariaOne) { " (aria2c $([math]::Round($ariaOne.MedianSeconds / $aria.MedianSeconds, 2)))" } else { '' }
            Target "$size, 20 MiB/s cap, $n connections: speed-up over 1" "≥ $($speedupGoal[$n])" "$speedup$ariaText" ($speedup -ge $speedupGoal[$n])
        }
    }
    if (($one = Find '* s3:// download from Swift s3api, *' 'Save-ResumableFile s3:// -Conn 1') -and ($four = Find '* s3:// download from Swift s3api, *' 'Save-ResumableFile s3:// -Conn 4')) {
        $speedup = [math]::Round($one.MedianSeconds / $four.MedianSeconds, 2)
        Target "$($one.Scenario): 4 connections, speed-up over 1" '≥ 1.8' "$speedup" ($speedup -ge 1.8)
    }
    foreach ($case in @(@{ Like = '* files of 256 KiB, 8 at a time'; Goal = 400 }, @{ Like = '* files of 256 KiB, 8 at a time, 20 ms latency'; Goal = 180 })) {
        $whole = Find $case.Like 'Import-Csv | Save-ResumableFile -ThrottleLimit 8'
        $inner = Find $case.Like 'same, timed inside pwsh after Import-Module'
        if ($whole) {
            $innerText = if ($inner) { "; $($inner.FilesPerSecond) files/s inside pwsh after Import-Module" } else { '' }
            Target "$($whole.Scenario), whole process" "≥ $($case.Goal) files/s" "$($whole.FilesPerSecond) files/s$innerText" ($whole.FilesPerSecond -ge $case.Goal)
        }
    }
    if ($r = Find 'kill -9 at 50% of *' 'Save-ResumableFile -Conn 8') {
        Target $r.Scenario 're-fetched ≤ 5 %, time ≤ 1.1× uninterrupted' "$($r.RefetchedPercent) %, $($r.RatioToRef)×" ($r.RefetchedPercent -le 5 -and $r.RatioToRef -le 1.1)
    }
    $pwshPeak = Find 'Peak memory, 16 connections*' 'pwsh -c exit'
    $peak16 = Find 'Peak memory, 16 connections*' 'Save-ResumableFile -Conn 16, 1 GiB'
    $peak16Small = Find 'Peak memory, 16 connections*' 'Save-ResumableFile -Conn 16, 256 MiB'
    if ($pwshPeak -and $peak16) {
        $flat = if ($peak16Small) { "; 256 MiB: $($peak16Small.PeakMiB) MiB" } else { '' }
        $over = [math]::Round($peak16.PeakMiB - $pwshPeak.PeakMiB, 1)
        # Flat: the 1 GiB peak within 5 MiB of the 256 MiB one (the run-to-run noise of one command is about 10 MiB).
        $isFlat = -not $peak16Small -or ($peak16.PeakMiB - $peak16Small.PeakMiB) -le 5
        Target "Peak memory, 1 GiB with 16 connections (median of $($peak16.Runs) runs' peaks)" "≤ pwsh ($($pwshPeak.PeakMiB) MiB) + 30 MiB, flat as the file grows (1 GiB within 5 MiB of 256 MiB)" "$($peak16.PeakMiB) MiB (+$over)$flat" ($over -le 30 -and $isFlat)
    }
    if ($r = Find 'Fresh pwsh*' 'Save-ResumableFile 1 KiB') {
        Target $r.Scenario '≤ 0.7 s' "$($r.MedianSeconds) s (IWR $((Find 'Fresh pwsh*' 'Invoke-WebRequest 1 KiB').MedianSeconds) s)" ($r.MedianSeconds -le 0.7)
    }
    if ($r = Find '*progress shown vs hidden' 'progress shown') {
        Target $r.Scenario '≤ 5 % slower' "$([math]::Round(100 * ($r.RatioToRef - 1), 1)) %" ($r.RatioToRef -le 1.05)
    }
    if ($r = Find '[0-9]* MiB tus upload*' 'Send-ChunkedFile -Protocol Tus') {
        $x = [math]::Round(1 / $r.RatioToRef, 2)
        Target $r.Scenario '≥ 1.2× tus-js-client throughput' "$x×" ($x -ge 1.2)
    }
    if ($r = Find '[0-9]* MiB S3 multipart to Swift s3api*' 'Send-ChunkedFile -Protocol S3 -Connections 4') {
        $x = [math]::Round(1 / $r.RatioToRef, 2)
        Target $r.Scenario '≥ 1× lib-storage throughput' "$x×" ($x -ge 1.0)
    }
    foreach ($r in @($Rows | Where-Object { $_.PSObject.Properties['ResentMiB'] -and $_.Tool -like 'Send-ChunkedFile*' })) {
        $peer = $Rows | Where-Object { $_.Scenario -eq $r.Scenario -and $_.Tool -like 'tus-js-client*' } | Select-Object -First 1
        $peerText = if ($peer) { "; tus-js-client $($peer.ResentMiB) MiB" } else { '' }
        Target "$($r.Scenario), $($r.Tool)" "re-sent ≤ $($r.LimitMiB) MiB (one chunk per connection)" "$($r.ResentMiB) MiB ($($r.ResentPercent) %)$peerText" ($r.ResentMiB -le $r.LimitMiB)
    }
}

function Write-BenchmarkMarkdown {
    param([Parameter(Mandatory)] $Meta, [object[]] $Targets = @(), [Parameter(Mandatory)] [object[]] $Rows, [Parameter(Mandatory)] [string] $Path)

    # A cell's text with the table's separator escaped ('Import-Csv | Save-ResumableFile' is one cell).
    function Cell($Value) { "$Value".Replace('|', '\|') }
    function Has($Row, [string] $Name) { if ($Row -is [System.Collections.IDictionary]) { $Row.Contains($Name) -and $null -ne $Row[$Name] } else { $null -ne $Row.PSObject.Properties[$Name] } }

    $md = [System.Text.StringBuilder]::new()
    [void]$md.AppendLine('# Benchmarks')
    [void]$md.AppendLine()
    [void]$md.AppendLine('Produced by `dotnet pwsh ./build.ps1 -Task Bench' + $(if ($Meta.quick) { ' -Quick' }) + '` (bench/Invoke-Benchmark.ps1). Loopback, nginx serving random data;')
    [void]$md.AppendLine('times are whole processes including pwsh start-up; median of the runs; ratio to the scenario''s reference tool;')
    [void]$md.AppendLine('peak memory is the resident set of the whole process tree (median of the runs'' peaks; the largest in the JSON).')
    [void]$md.AppendLine()
    foreach ($k in $Meta.Keys) { [void]$md.AppendLine("- $k`: $($Meta[$k])") }
    [void]$md.AppendLine()
    [void]$md.AppendLine('## Targets (issue 5)')
    [void]$md.AppendLine()
    [void]$md.AppendLine('| target | goal | measured | met |')
    [void]$md.AppendLine('|---|---|---|---|')
    foreach ($t in $Targets) { [void]$md.AppendLine("| $(Cell $t.Target) | $(Cell $t.Goal) | $(Cell $t.Measured) | $(if ($t.Met) { 'yes' } else { '**no**' }) |") }
    [void]$md.AppendLine()
    [void]$md.AppendLine('## All runs')
    [void]$md.AppendLine()
    [void]$md.AppendLine('| scenario | tool | median s | ratio | MiB/s | peak MiB |')
    [void]$md.AppendLine('|---|---|---:|---:|---:|---:|')
    foreach ($r in $Rows) {
        $note = if (Has $r 'RefetchedPercent') { "; re-fetched $($r.RefetchedPercent) %" }
                elseif (Has $r 'ResentPercent') { "; re-sent $($r.ResentMiB) MiB = $($r.ResentPercent) %, limit $($r.LimitMiB) MiB" }
                elseif (Has $r 'FilesPerSecond') { "; $($r.FilesPerSecond) files/s" }
                else { '' }
        [void]$md.AppendLine("| $(Cell $r.Scenario) | $(Cell $r.Tool) | $($r.MedianSeconds) | $($r.RatioToRef) (vs $(Cell $r.Reference)$note) | $($r.MiBPerSecond) | $($r.PeakMiB) |")
    }
    Set-Content -LiteralPath $Path -Value $md.ToString()
}
