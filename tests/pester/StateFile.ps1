# Reads a download's state file (<target>.rtstate, camelCase JSON, see about_ResumeTransfer): which bytes each
# segment has safely on disk. Dot-source it:  . $PSScriptRoot/StateFile.ps1

function Get-DownloadProgress {
    # $null while there is no readable state file; else the bytes on disk in all and in the segment that starts
    # at byte 0 (once that one has some, no request of a resume needs to start at 0).
    param([Parameter(Mandatory)] [string] $StatePath)
    if (-not (Test-Path -LiteralPath $StatePath)) { return $null }
    try { $state = Get-Content -LiteralPath $StatePath -Raw -ErrorAction Stop | ConvertFrom-Json -ErrorAction Stop }
    catch { return $null }   # replaced or removed between the test and the read
    $segments = @($state.segments)
    $first = $segments | Where-Object { $_.start -eq 0 } | Select-Object -First 1
    [pscustomobject]@{
        Length            = $state.length
        Segments          = $segments.Count
        BytesOnDisk       = [long](($segments | ForEach-Object { $_.next - $_.start } | Measure-Object -Sum).Sum)
        FirstSegmentBytes = if ($first) { [long]$first.next } else { 0L }
    }
}

function Wait-DownloadProgress {
    # Waits until the segment at byte 0 has at least -MinimumBytes on disk according to the state file, or the
    # downloading process ended, or the timeout. Returns the last progress seen ($null if none).
    param(
        [Parameter(Mandatory)] [string] $StatePath,
        [Parameter(Mandatory)] [System.Diagnostics.Process] $Process,
        [long] $MinimumBytes = 1,
        [int] $TimeoutSec = 60
    )
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    $progress = $null
    while (-not $Process.HasExited -and [DateTime]::UtcNow -lt $deadline) {
        $progress = Get-DownloadProgress $StatePath
        if ($progress -and $progress.FirstSegmentBytes -ge $MinimumBytes) { break }
        Start-Sleep -Milliseconds 50
    }
    $progress
}
