# Reads an upload's state file (<source>.rtupload, camelCase JSON, see about_ResumeTransfer) and finds what the chunk
# API reference receiver of the test server stored. Dot-source it:  . $PSScriptRoot/UploadStateFile.ps1

function Get-UploadProgress {
    # $null while there is no readable state file; else the upload id, chunk size and the parts it records as
    # acknowledged by the server.
    param([Parameter(Mandatory)] [string] $StatePath)
    if (-not (Test-Path -LiteralPath $StatePath)) { return $null }
    try { $state = Get-Content -LiteralPath $StatePath -Raw -ErrorAction Stop | ConvertFrom-Json -ErrorAction Stop }
    catch { return $null }   # replaced or removed between the test and the read
    $parts = @($state.parts)
    [pscustomobject]@{
        UploadId      = $state.uploadId
        UploadUrl     = $state.uploadUrl
        Protocol      = $state.protocol
        ChunkSize     = [long]$state.chunkSize
        Parts         = $parts.Count
        PartBytes     = [long](($parts | ForEach-Object { [long]$_.length } | Measure-Object -Sum).Sum)
        PartNumbers   = @($parts | ForEach-Object { [int]$_.number })
        # Offset protocols (tus): the last Upload-Offset the server acknowledged.
        Offset        = [long]$state.acknowledgedOffset
    }
}

function Wait-UploadProgress {
    # Waits until the state file records at least -MinimumParts acknowledged parts, or the uploading process ended,
    # or the timeout. Returns the last progress seen ($null if none).
    param(
        [Parameter(Mandatory)] [string] $StatePath,
        [Parameter(Mandatory)] [System.Diagnostics.Process] $Process,
        [int] $MinimumParts = 1,
        # Offset protocols (tus) record no parts: wait for this acknowledged offset instead (with -MinimumParts 0).
        [long] $MinimumOffset = 0,
        [int] $TimeoutSec = 60
    )
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    $progress = $null
    while (-not $Process.HasExited -and [DateTime]::UtcNow -lt $deadline) {
        $progress = Get-UploadProgress $StatePath
        if ($progress -and $progress.Parts -ge $MinimumParts -and $progress.Offset -ge $MinimumOffset) { break }
        Start-Sleep -Milliseconds 10
    }
    $progress
}

function Get-ChunkApiMergedFile {
    # The file the test server's chunk API receiver merged for this upload: it keeps <storage>/<upload_id>/merged/<name>
    # with <storage> = <temp>/rt-chunkapi-*. Upload ids are 128 random bits, so the one match is this upload's.
    param([Parameter(Mandatory)] [string] $UploadId, [Parameter(Mandatory)] [string] $Name)
    Get-ChildItem -LiteralPath ([System.IO.Path]::GetTempPath()) -Directory -Filter 'rt-chunkapi-*' |
        ForEach-Object { Join-Path $_.FullName "$UploadId/merged/$Name" } |
        Where-Object { Test-Path -LiteralPath $_ } |
        Select-Object -First 1
}

function Get-ChunkApiUploadCount {
    # How many uploads a chunk API receiver's storage directory holds (in any state): a -WhatIf must not add one.
    # The storage of the test server's receiver is the directory three levels above a merged file of it.
    param([Parameter(Mandatory)] [string] $Storage)
    @(Get-ChildItem -LiteralPath $Storage -Directory | Where-Object Name -Match '^[0-9a-f]{32}$').Count
}
