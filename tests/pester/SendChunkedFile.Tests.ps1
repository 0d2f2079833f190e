# Send-ChunkedFile as a user runs it, in a real pwsh: against the chunk API reference receiver of the test server
# (started as a process; its storage directory shows what the server holds and merged) and against @tus/server
# (tests/peers). Run through build.ps1 -Task Test (it builds, stages out/ResumeTransfer and runs npm ci in tests/peers).

BeforeDiscovery {
    $ModulePath = [System.IO.Path]::GetFullPath("$PSScriptRoot/../../out/ResumeTransfer")
    Import-Module $ModulePath -Force
    $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
    $ParameterCases = @((Get-Command Send-ChunkedFile).Parameters.Keys | Where-Object { $_ -notin $common } | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    . $PSScriptRoot/TestServer.ps1
    . $PSScriptRoot/DetachedPwsh.ps1
    . $PSScriptRoot/TusPeer.ps1
    . $PSScriptRoot/SwiftS3Peer.ps1
    . $PSScriptRoot/UploadStateFile.ps1
    . $PSScriptRoot/ExistingChunkServer.ps1
    $ModulePath = [System.IO.Path]::GetFullPath("$PSScriptRoot/../../out/ResumeTransfer")
    Import-Module $ModulePath -Force
    $ProgressPreference = 'SilentlyContinue'
    $Server = Start-TestServer
    $ChunkApi = "$($Server.BaseUri)/chunks"

    function New-SourceFile([string] $Path, [long] $Size, [int] $Seed = 1) {
        # Pseudo-random bytes: swapped or shifted chunks change the hash.
        $bytes = [byte[]]::new($Size)
        [System.Random]::new($Seed).NextBytes($bytes)
        [System.IO.File]::WriteAllBytes($Path, $bytes)
        $Path
    }
    function Get-Sha256([string] $Path) { (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant() }

    function Stop-UploadMidway {
        # Runs $Command (a Send-ChunkedFile line, as a user types it) in a detached child pwsh and kills its process
        # group with SIGKILL once the state file records -MinimumParts parts and an offset of -MinimumOffset (tus).
        # Returns what the state file recorded at the kill.
        param([string] $Command, [string] $StatePath, [string] $LogPath, [int] $MinimumParts = 0, [long] $MinimumOffset = 0)
        $child = Start-DetachedPwsh -Command "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$ModulePath'; $Command" -OutputPath $LogPath
        try {
            $progress = Wait-UploadProgress -StatePath $StatePath -Process $child.Process -MinimumParts $MinimumParts -MinimumOffset $MinimumOffset
            $child.Process.HasExited | Should -BeFalse -Because "the child must still be uploading when killed (last state: $($progress | Out-String -Width 200); exit code $(if ($child.Process.HasExited) { $child.Process.ExitCode }); output: $(Get-DetachedPwshOutput $child))"
            $progress.Parts | Should -BeGreaterOrEqual $MinimumParts -Because 'the state file must record acknowledged parts within 60 s'
            $progress.Offset | Should -BeGreaterOrEqual $MinimumOffset -Because 'the state file must record an acknowledged offset within 60 s'
        }
        finally {
            Stop-DetachedPwsh $child
        }
        $StatePath | Should -Exist
        Get-UploadProgress $StatePath
    }

    function Get-MultipartETag([string] $Path, [long] $PartSize) {
        # S3's ETag of a multipart object, from the file itself: MD5 of the parts' binary MD5s, '-', the part count.
        $stream = [System.IO.File]::OpenRead($Path)
        try {
            $md5 = [System.Security.Cryptography.MD5]::Create()
            $buffer = [byte[]]::new($PartSize)
            $digests = [System.IO.MemoryStream]::new()
            $count = 0
            while (($read = $stream.ReadAtLeast($buffer, $buffer.Length, $false)) -gt 0) {
                $digest = $md5.ComputeHash($buffer, 0, $read)
                $digests.Write($digest, 0, $digest.Length)
                $count++
            }
            '{0}-{1}' -f [Convert]::ToHexStringLower([System.Security.Cryptography.MD5]::HashData($digests.ToArray())), $count
        }
        finally { $stream.Dispose(); if ($md5) { $md5.Dispose() } }
    }

    function Wait-TusPeerQuiet($Peer) {
        # The PATCH the kill cut off ends on the server a little later: wait until the peer's log stops growing.
        $count = -1; $quiet = 0
        for ($i = 0; $i -lt 50 -and $quiet -lt 3; $i++) {
            $now = @(Get-TusPeerLog $Peer).Count
            if ($now -eq $count) { $quiet++ } else { $quiet = 0; $count = $now }
            Start-Sleep -Milliseconds 150
        }
    }
}

AfterAll {
    Stop-TestServer $Server
}

Describe 'Send-ChunkedFile' {
    BeforeAll {
        # The storage directory of the test server's chunk API receiver (<storage>/<upload_id>/merged/<name>), found
        # through a first upload.
        $probe = New-SourceFile (Join-Path $TestDrive 'probe.bin') 10
        $probeResult = Send-ChunkedFile $probe $ChunkApi -PassThru
        $ChunkStorage = Split-Path (Split-Path (Split-Path (Get-ChunkApiMergedFile $probeResult.UploadId 'probe.bin')))
    }

    Context 'the chunk API' {
        It 'uploads <Size> bytes in chunks of <ChunkSize> bytes and the merged file has the SHA-256 of the source' -ForEach @(
            @{ Size = 0; ChunkSize = 1MB }
            @{ Size = 1; ChunkSize = 1MB }
            @{ Size = 1MB + 1; ChunkSize = 1MB }
            @{ Size = 6MB + 123; ChunkSize = 512KB }
        ) {
            $source = New-SourceFile (Join-Path $TestDrive "sized-$Size.bin") $Size -Seed 4
            $result = Send-ChunkedFile -Path $source -Uri $ChunkApi -ChunkSize $ChunkSize -PassThru

            $result.Protocol | Should -Be 'ChunkApi'
            $result.Length | Should -Be $Size
            $result.Hash | Should -Be (Get-Sha256 $source)
            Get-Sha256 (Get-ChunkApiMergedFile $result.UploadId "sized-$Size.bin") | Should -Be (Get-Sha256 $source)
            "$source.rtupload" | Should -Not -Exist
        }

        It 'uploads every file Get-ChildItem finds, two at a time' {
            $dir = Join-Path $TestDrive 'isos'
            New-Item -ItemType Directory -Path $dir | Out-Null
            $sizes = @{ 'a.iso' = 300000; 'b.iso' = 2MB + 5; 'c.iso' = 17 }
            foreach ($name in $sizes.Keys) { New-SourceFile (Join-Path $dir $name) $sizes[$name] -Seed $sizes[$name] | Out-Null }
            Set-Content -LiteralPath (Join-Path $dir 'readme.txt') -Value 'not an image'

            $results = @(Get-ChildItem (Join-Path $dir '*.iso') | Send-ChunkedFile -Uri $ChunkApi -ChunkSize 1MB -ThrottleLimit 2 -PassThru)

            $results | Should -HaveCount 3
            ($results | ForEach-Object { Split-Path $_.Path -Leaf } | Sort-Object) -join ',' | Should -Be 'a.iso,b.iso,c.iso'
            foreach ($r in $results) {
                Get-Sha256 (Get-ChunkApiMergedFile $r.UploadId (Split-Path $r.Path -Leaf)) | Should -Be (Get-Sha256 $r.Path)
            }
            Get-ChildItem -LiteralPath $dir -Filter '*.rtupload*' | Should -BeNullOrEmpty
        }

        It 'sends nothing with -WhatIf' {
            $source = New-SourceFile (Join-Path $TestDrive 'whatif.bin') 5000
            $before = Get-ChunkApiUploadCount $ChunkStorage

            Send-ChunkedFile $source $ChunkApi -WhatIf

            Get-ChunkApiUploadCount $ChunkStorage | Should -Be $before
            "$source.rtupload" | Should -Not -Exist
        }

        It 'names the S3 key of a prefix upload in the -WhatIf message' {
            $dir = Join-Path $TestDrive 'outbox'
            New-Item -ItemType Directory -Path $dir | Out-Null
            New-SourceFile (Join-Path $dir 'report.pdf') 100 | Out-Null
            # What-if messages go to the host, so a child pwsh shows them on its output.
            $command = "Import-Module '$ModulePath'; Get-ChildItem -File '$dir' | Send-ChunkedFile -Uri s3://backups/outbox/ -Endpoint http://127.0.0.1:9 -WhatIf"
            $text = & ([Environment]::ProcessPath) (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command $command 2>&1 | Out-String

            $text | Should -Match ([regex]::Escape("Upload $(Join-Path $dir 'report.pdf')"))
            $text | Should -Match ([regex]::Escape('s3://backups/outbox/report.pdf at http://127.0.0.1:9'))
            Get-ChildItem -LiteralPath $dir -Filter '*.rtupload*' | Should -BeNullOrEmpty
        }

        It 'refuses a -ChunkSize below the <Protocol> minimum with InvalidArgument, before sending anything' -ForEach @(
            @{ Protocol = 'Tus'; ChunkSize = 1KB; Minimum = 64KB }
            @{ Protocol = 'S3'; ChunkSize = 1MB; Minimum = 5MB }
        ) {
            $source = New-SourceFile (Join-Path $TestDrive "tiny-$Protocol.bin") 5000
            # S3 goes to the test server as its -Endpoint, where any request would fail (and show in its log).
            $target = if ($Protocol -eq 'S3') { @{ Uri = 's3://bucket/key'; Endpoint = $Server.BaseUri } } else { @{ Uri = $ChunkApi } }
            $before = Get-ChunkApiUploadCount $ChunkStorage

            { Send-ChunkedFile $source @target -Protocol $Protocol -ChunkSize $ChunkSize -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidArgument*' -ExpectedMessage "*minimum of $Minimum bytes*"
            Get-ChunkApiUploadCount $ChunkStorage | Should -Be $before
            "$source.rtupload" | Should -Not -Exist
        }

        It 'reports a file that fails as a non-terminating error and uploads the others' {
            $ok1 = New-SourceFile (Join-Path $TestDrive 'ok1.bin') 5000 -Seed 1
            $ok2 = New-SourceFile (Join-Path $TestDrive 'ok2.bin') 6000 -Seed 2
            $missing = Join-Path $TestDrive 'missing.bin'

            $results = @($ok1, $missing, $ok2 | Send-ChunkedFile -Uri $ChunkApi -PassThru -ErrorVariable failures -ErrorAction SilentlyContinue)

            $results | Should -HaveCount 2
            $failures | Should -HaveCount 1
            $failures[0].FullyQualifiedErrorId | Should -BeLike 'NotFound*'
            $failures[0].TargetObject | Should -Be $missing
            foreach ($r in $results) {
                Get-Sha256 (Get-ChunkApiMergedFile $r.UploadId (Split-Path $r.Path -Leaf)) | Should -Be (Get-Sha256 $r.Path)
            }
        }
    }

    Context 'kill -9 of the uploading pwsh' {
        It 'resumes with -Resume from what the server holds, to the right SHA-256' {
            $size = 48MB
            $chunk = 64KB
            $connections = 2
            $source = New-SourceFile (Join-Path $TestDrive 'kill.bin') $size -Seed 9
            $state = "$source.rtupload"
            $command = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$ModulePath'; " +
                "Send-ChunkedFile -Path '$source' -Uri '$ChunkApi' -ChunkSize $chunk -Connections $connections"
            $child = Start-DetachedPwsh -Command $command -OutputPath (Join-Path $TestDrive 'kill-child.log')
            try {
                $progress = Wait-UploadProgress -StatePath $state -Process $child.Process -MinimumParts 32
                $child.Process.HasExited | Should -BeFalse -Because "the child must still be uploading when killed (last state: $($progress | Out-String -Width 200); exit code $(if ($child.Process.HasExited) { $child.Process.ExitCode }); output: $(Get-DetachedPwshOutput $child))"
                $progress.Parts | Should -BeGreaterOrEqual 32 -Because 'the state file must record acknowledged parts within 60 s'
            }
            finally {
                Stop-DetachedPwsh $child
            }
            $state | Should -Exist
            $killed = Get-UploadProgress $state
            $killed.Parts | Should -BeLessThan ($size / $chunk)
            # What the server holds once the requests cut off by the kill have ended: the chunk files it verified.
            $chunks = Join-Path $ChunkStorage "$($killed.UploadId)/chunks"
            $held = -1
            for ($i = 0; $i -lt 50; $i++) {
                $count = @(Get-ChildItem -LiteralPath $chunks -File).Count
                if ($count -eq $held) { break }
                $held = $count
                Start-Sleep -Milliseconds 100
            }
            # The server holds every part the state recorded (the state never claims more). It may hold more: the chunks
            # in flight at the kill, and those acknowledged while the state's last writes were still on their way (they
            # run beside the transfer); the resume must then prove them by MD5 and skip them, checked below.
            $held | Should -BeGreaterOrEqual $killed.Parts

            # Without -Resume (or -Force) the unfinished upload is an error that touches nothing.
            $stateBefore = Get-Content -LiteralPath $state -Raw
            { Send-ChunkedFile -Path $source -Uri $ChunkApi -ChunkSize $chunk -ErrorAction Stop } | Should -Throw -ErrorId 'TargetExists*'
            Get-Content -LiteralPath $state -Raw | Should -Be $stateBefore

            $result = Send-ChunkedFile -Path $source -Uri $ChunkApi -ChunkSize $chunk -Connections $connections -Resume -PassThru

            $result.UploadId | Should -Be $killed.UploadId
            $result.Restarted | Should -BeFalse
            Get-Sha256 (Get-ChunkApiMergedFile $result.UploadId 'kill.bin') | Should -Be (Get-Sha256 $source)
            $state | Should -Not -Exist
            # Nothing the server held was sent again, and every other chunk once: the status answer lists each held
            # chunk's MD5, so a chunk the killed pwsh never recorded is proven and skipped too. What both runs sent
            # twice is only what the kill cut off (at most one chunk per connection).
            # (The standalone test server has no HTTP log of chunk requests; the SDK-hosted test counts them.)
            $result.BytesSkipped | Should -Be ($held * $chunk)
            $result.BytesSent + $result.BytesSkipped | Should -Be $size
        }

        It 'uploads a source changed between kill -9 and -Resume anew, and abandons the old upload on the server' {
            $size = 16MB
            $chunk = 64KB
            $source = New-SourceFile (Join-Path $TestDrive 'kill-changed.bin') $size -Seed 15
            $state = "$source.rtupload"
            $killed = Stop-UploadMidway -StatePath $state -LogPath (Join-Path $TestDrive 'kill-changed-child.log') -MinimumParts 8 -Command (
                "Send-ChunkedFile -Path '$source' -Uri '$ChunkApi' -ChunkSize $chunk -Connections 2")
            $killed.Parts | Should -BeLessThan ($size / $chunk)
            Join-Path $ChunkStorage $killed.UploadId | Should -Exist
            New-SourceFile $source $size -Seed 16 | Out-Null
            (Get-Item -LiteralPath $source).LastWriteTimeUtc = [DateTime]::UtcNow.AddMinutes(1)

            $result = Send-ChunkedFile -Path $source -Uri $ChunkApi -ChunkSize $chunk -Connections 2 -Resume -PassThru -WarningVariable warned -WarningAction SilentlyContinue

            $result.Restarted | Should -BeTrue
            $result.UploadId | Should -Not -Be $killed.UploadId
            $result.Verified | Should -BeTrue
            ($warned | Out-String) | Should -BeLike '*changed since its upload*'
            $result.BytesSent | Should -Be $size
            Get-Sha256 (Get-ChunkApiMergedFile $result.UploadId 'kill-changed.bin') | Should -Be (Get-Sha256 $source)
            # The old upload was abandoned (DELETE): its chunks of the old contents are gone from the server.
            Join-Path $ChunkStorage $killed.UploadId | Should -Not -Exist
        }
    }

    Context 'the chunk API behind HTTP Basic authentication' {
        It 'refuses <Case> credentials with AccessDenied, touches nothing, and resumes with the right ones' -ForEach @(
            @{ Case = 'wrong'; Password = 'not-the-password' }
            @{ Case = 'missing'; Password = $null }
        ) {
            # The test server mounts the same receiver at /auth/chunks behind Basic alice:s3cret (401 otherwise).
            $uri = "$($Server.BaseUri)/auth/chunks"
            $size = 32MB
            $chunk = 64KB
            $source = New-SourceFile (Join-Path $TestDrive "chunk-auth-$Case.bin") $size -Seed 14
            $state = "$source.rtupload"
            $login = "[pscredential]::new('alice', (ConvertTo-SecureString 's3cret' -AsPlainText -Force))"
            $killed = Stop-UploadMidway -StatePath $state -LogPath (Join-Path $TestDrive "chunk-auth-$Case-child.log") -MinimumParts 8 -Command (
                "Send-ChunkedFile -Path '$source' -Uri '$uri' -ChunkSize $chunk -Connections 1 -Credential ($login) -AllowUnencryptedAuthentication")
            $killed.Parts | Should -BeLessThan ($size / $chunk)
            $chunks = Join-Path $ChunkStorage "$($killed.UploadId)/chunks"
            $held = @()
            for ($i = 0; $i -lt 50; $i++) {
                $now = @(Get-ChildItem -LiteralPath $chunks -File | ForEach-Object { "$($_.Name):$($_.Length)" })
                if ($i -gt 0 -and ($now -join ',') -eq ($held -join ',')) { break }
                $held = $now
                Start-Sleep -Milliseconds 100
            }
            $held.Count | Should -BeGreaterOrEqual $killed.Parts
            $stateBefore = Get-Content -LiteralPath $state -Raw

            $auth = if ($Password) {
                @{ Credential = [pscredential]::new('alice', (ConvertTo-SecureString $Password -AsPlainText -Force)); AllowUnencryptedAuthentication = $true }
            }
            else { @{} }
            # No -Protocol, as a user types it: the refused protocol probe must say AccessDenied, not "cannot tell".
            { Send-ChunkedFile -Path $source -Uri $uri -ChunkSize $chunk -Resume @auth -ErrorAction Stop } |
                Should -Throw -ErrorId 'AccessDenied*' -ExpectedMessage '*refused access with 401*-Credential*-Resume*'

            Get-Content -LiteralPath $state -Raw | Should -Be $stateBefore
            @(Get-ChildItem -LiteralPath $chunks -File | ForEach-Object { "$($_.Name):$($_.Length)" }) -join ',' | Should -Be ($held -join ',')

            $right = [pscredential]::new('alice', (ConvertTo-SecureString 's3cret' -AsPlainText -Force))
            $result = Send-ChunkedFile -Path $source -Uri $uri -ChunkSize $chunk -Resume -Credential $right -AllowUnencryptedAuthentication -PassThru

            $result.UploadId | Should -Be $killed.UploadId
            $result.BytesSkipped | Should -BeGreaterOrEqual $killed.PartBytes
            Get-Sha256 (Get-ChunkApiMergedFile $result.UploadId "chunk-auth-$Case.bin") | Should -Be (Get-Sha256 $source)
            $state | Should -Not -Exist
        }
    }

    Context 'tus (@tus/server 2.4.5)' {
        BeforeAll {
            $Tus = Start-TusPeer -Directory (Join-Path $TestDrive 'tus-store')
        }

        AfterAll {
            Stop-TusPeer $Tus
        }

        It 'finds the tus server by itself and stores the file byte for byte with its metadata' {
            $source = New-SourceFile (Join-Path $TestDrive 'tus.bin') (3MB + 1) -Seed 5

            $result = Get-Item -LiteralPath $source | Send-ChunkedFile -Uri $Tus.Endpoint -ChunkSize 1MB -Metadata @{ owner = 'pester' } -PassThru

            $result.Protocol | Should -Be 'Tus'
            $result.BytesSent | Should -Be (3MB + 1)
            $stored = Get-TusStoredFile $Tus $result.UploadUrl
            Get-Sha256 $stored | Should -Be (Get-Sha256 $source)
            $info = Get-Content -LiteralPath "$stored.json" -Raw | ConvertFrom-Json
            $info.metadata.filename | Should -Be 'tus.bin'
            $info.metadata.owner | Should -Be 'pester'
            "$source.rtupload" | Should -Not -Exist
        }

        It 'resumes with -Resume after kill -9 from the server''s offset, sending at most the one chunk in flight again' {
            $size = 16MB
            $chunk = 256KB
            # Each PATCH waits 80 ms on the server, so the upload lasts about 5 s and the kill lands in the middle.
            $peer = Start-TusPeer -Directory (Join-Path $TestDrive 'tus-kill-store') -DelayMs 80 -Log
            try {
                $source = New-SourceFile (Join-Path $TestDrive 'tus-kill.bin') $size -Seed 11
                $state = "$source.rtupload"
                $killed = Stop-UploadMidway -Command "Send-ChunkedFile -Path '$source' -Uri '$($peer.Endpoint)' -ChunkSize $chunk" `
                    -StatePath $state -LogPath (Join-Path $TestDrive 'tus-kill-child.log') -MinimumOffset (4 * $chunk)
                $killed.Offset | Should -BeLessThan $size
                Wait-TusPeerQuiet $peer
                $before = @(Get-TusPeerLog $peer | Where-Object Method -EQ 'PATCH')
                # What the server confirmed to the killed run: its PATCHes went one at a time, each from where the last ended.
                $confirmed = [long](($before | Where-Object Status -EQ 204 | Measure-Object ResOffset -Maximum).Maximum)
                $confirmed | Should -BeGreaterOrEqual $killed.Offset

                $result = Send-ChunkedFile -Path $source -Uri $peer.Endpoint -ChunkSize $chunk -Resume -PassThru

                "$($result.UploadUrl)" | Should -Be $killed.UploadUrl
                $result.Restarted | Should -BeFalse
                Get-Sha256 (Get-TusStoredFile $peer $result.UploadUrl) | Should -Be (Get-Sha256 $source)
                $state | Should -Not -Exist
                # The resumed run started at the server's offset: nothing the server confirmed was sent again, and the
                # killed run had only one PATCH (one chunk) in flight beyond that, so at most one chunk went twice.
                $result.BytesSkipped | Should -BeGreaterOrEqual $confirmed
                $result.BytesSkipped | Should -BeLessOrEqual ($confirmed + $chunk)
                $result.BytesSkipped + $result.BytesSent | Should -Be $size
                $resumed = @(Get-TusPeerLog $peer | Where-Object Method -EQ 'PATCH' | Select-Object -Skip $before.Count)
                $resumed.Count | Should -BeGreaterThan 0
                $offset = $result.BytesSkipped
                foreach ($patch in $resumed) {
                    $patch.Status | Should -Be 204
                    $patch.ReqOffset | Should -Be $offset
                    $patch.ResOffset - $patch.ReqOffset | Should -BeLessOrEqual $chunk
                    $offset = $patch.ResOffset
                }
                $offset | Should -Be $size
            }
            finally {
                Stop-TusPeer $peer
            }
        }

        It 'refuses <Case> credentials with AccessDenied, touches nothing, and resumes with the right ones' -ForEach @(
            @{ Case = 'wrong'; Password = 'not-the-password' }
            @{ Case = 'missing'; Password = $null }
        ) {
            $size = 4MB + 1
            $chunk = 256KB
            $peer = Start-TusPeer -Directory (Join-Path $TestDrive "tus-auth-$Case") -Basic 'alice:s3cret' -DelayMs 150 -Log
            try {
                $source = New-SourceFile (Join-Path $TestDrive "tus-auth-$Case.bin") $size -Seed 12
                $state = "$source.rtupload"
                $login = "[pscredential]::new('alice', (ConvertTo-SecureString 's3cret' -AsPlainText -Force))"
                $killed = Stop-UploadMidway -Command "Send-ChunkedFile -Path '$source' -Uri '$($peer.Endpoint)' -ChunkSize $chunk -Credential ($login) -AllowUnencryptedAuthentication" `
                    -StatePath $state -LogPath (Join-Path $TestDrive "tus-auth-$Case-child.log") -MinimumOffset (2 * $chunk)
                Wait-TusPeerQuiet $peer
                $stored = Get-TusStoredFile $peer $killed.UploadUrl
                $storedBefore = Get-Sha256 $stored
                $stateBefore = Get-Content -LiteralPath $state -Raw
                $requestsBefore = @(Get-TusPeerLog $peer).Count

                $auth = if ($Password) {
                    @{ Credential = [pscredential]::new('alice', (ConvertTo-SecureString $Password -AsPlainText -Force)); AllowUnencryptedAuthentication = $true }
                }
                else { @{} }
                # No -Protocol, as a user types it: the refused OPTIONS probe must say AccessDenied, not "cannot tell".
                { Send-ChunkedFile -Path $source -Uri $peer.Endpoint -ChunkSize $chunk -Resume @auth -ErrorAction Stop } |
                    Should -Throw -ErrorId 'AccessDenied*' -ExpectedMessage '*refused access with 401*-Credential*-Resume*'

                Get-Content -LiteralPath $state -Raw | Should -Be $stateBefore
                Get-Sha256 $stored | Should -Be $storedBefore
                $refused = @(Get-TusPeerLog $peer | Select-Object -Skip $requestsBefore)
                $refused.Count | Should -BeGreaterThan 0
                $refused | ForEach-Object { $_.Status | Should -Be 401 }

                $right = [pscredential]::new('alice', (ConvertTo-SecureString 's3cret' -AsPlainText -Force))
                $result = Send-ChunkedFile -Path $source -Uri $peer.Endpoint -ChunkSize $chunk -Resume -Credential $right -AllowUnencryptedAuthentication -PassThru

                "$($result.UploadUrl)" | Should -Be $killed.UploadUrl
                $result.BytesSkipped | Should -BeGreaterOrEqual $killed.Offset
                Get-Sha256 $stored | Should -Be (Get-Sha256 $source)
                $state | Should -Not -Exist
            }
            finally {
                Stop-TusPeer $peer
            }
        }
    }

    Context 'S3 (Swift s3api)' {
        BeforeAll {
            # Each UploadPart waits 500 ms on the server, so an upload of a few parts lasts seconds and a kill lands in
            # the middle.
            $Swift = Start-SwiftS3Peer -DelayMs 500
        }

        AfterAll {
            Stop-SwiftS3Peer $Swift
        }

        It 'resumes with -Resume after kill -9 from the parts S3 lists, sending at most one part per connection again' {
            $size = 40MB + 7
            $chunk = 5MB
            $connections = 2
            $partCount = [Math]::Ceiling($size / $chunk)
            $key = 'kill/s3-kill.bin'
            $source = New-SourceFile (Join-Path $TestDrive 's3-kill.bin') $size -Seed 13
            $state = "$source.rtupload"
            $login = "[pscredential]::new('$($Swift.AccessKey)', (ConvertTo-SecureString '$($Swift.SecretKey)' -AsPlainText -Force))"
            $killed = Stop-UploadMidway -StatePath $state -LogPath (Join-Path $TestDrive 's3-kill-child.log') -MinimumParts 2 -Command (
                "Send-ChunkedFile -Path '$source' -Uri 's3://$($Swift.Bucket)/$key' -Endpoint '$($Swift.Endpoint)' -Credential ($login) " +
                "-ChunkSize $chunk -Connections $connections")
            $killed.Parts | Should -BeLessThan $partCount
            # What S3 holds once the requests cut off by the kill have ended (a cut-off part is not stored).
            $held = @()
            $count = -1
            for ($i = 0; $i -lt 20; $i++) {
                Start-Sleep -Milliseconds 300
                $held = @(Get-SwiftS3StoredParts $Swift $key $killed.UploadId)
                if ($held.Count -eq $count) { break }
                $count = $held.Count
            }
            # Every part the state recorded, plus at most the parts in flight at the kill: one per connection.
            $held.Count | Should -BeGreaterOrEqual $killed.Parts
            $held.Count | Should -BeLessOrEqual ($killed.Parts + $connections)
            foreach ($n in $killed.PartNumbers) { $held.Number | Should -Contain $n }
            $heldBytes = [long](($held | Measure-Object Length -Sum).Sum)

            $result = Send-ChunkedFile -Path $source -Uri "s3://$($Swift.Bucket)/$key" -Endpoint $Swift.Endpoint -Credential (Get-SwiftS3Credential $Swift) `
                -ChunkSize $chunk -Connections $connections -Resume -PassThru

            $result.UploadId | Should -Be $killed.UploadId
            $result.Restarted | Should -BeFalse
            # The server's list is the truth: every part it held was skipped, only the others were sent. So the parts
            # sent twice are those the killed run had in flight and S3 did not store: at most one per connection.
            $result.BytesSkipped | Should -Be $heldBytes
            $result.BytesSent | Should -Be ($size - $heldBytes)
            Get-SwiftS3ObjectSha256 $Swift $key (Join-Path $TestDrive 's3-kill.download') | Should -Be (Get-Sha256 $source)
            $result.ETag.Trim('"') | Should -Be (Get-MultipartETag $source $chunk)
            $state | Should -Not -Exist
        }
    }

    Context 'chunk servers that already exist (-ChunkApiProfile Seed: a receiver written to the brief; Flow: the flow.js sample)' {
        BeforeAll {
            function Get-StoredSha256($Server, $Result, [string] $Name) {
                # What the server made of the upload: the Seed receiver's merged file, the flow.js sample's own download.
                if ($Server.Kind -eq 'Flow') { return Get-FlowAssembledSha256 $Server $Result.UploadId }
                Get-Sha256 (Join-Path $Server.Directory "files/$Name")
            }
            function Get-ChunkPosts($Server) { @(Get-ExistingChunkServerLog $Server | Where-Object { $_.Method -eq 'POST' -and $_.Path -eq '/upload' }) }
            function Get-HeldChunks($Server, [string] $Name, [string] $Identifier) {
                # The chunk numbers the server stores: its storage is the truth (a chunk stored as the kill cut its
                # connection may never have been answered, so never logged).
                if ($Server.Kind -eq 'Flow') {
                    return @(Get-ChildItem -LiteralPath (Join-Path $Server.Directory 'tmp') -Filter "flow-$Identifier.*" | ForEach-Object { [int]$_.Extension.TrimStart('.') })
                }
                @(Get-ChildItem -LiteralPath (Join-Path $Server.Directory "chunks/$Name") -File | Where-Object Name -Match '^\d+$' | ForEach-Object { [int]$_.Name })
            }
        }

        It '<Kind>: uploads a whole file to the SHA-256 of the source and says Verified False' -ForEach @(
            @{ Kind = 'Seed'; First = 0 }
            @{ Kind = 'Flow'; First = 1 }
        ) {
            $server = Start-ExistingChunkServer -Kind $Kind -Directory (Join-Path $TestDrive "$Kind-whole-store")
            try {
                $source = New-SourceFile (Join-Path $TestDrive "$Kind-whole.bin") (5MB + 300000) -Seed 21
                $result = Send-ChunkedFile $source $server.Url -ChunkApiProfile $Kind -ChunkSize 1MB -PassThru

                $result.Verified | Should -BeFalse
                $result.Protocol | Should -Be 'ChunkApi'
                $result.BytesSent | Should -Be (5MB + 300000)
                Get-StoredSha256 $server $result "$Kind-whole.bin" | Should -Be (Get-Sha256 $source)
                # Seed: ceil(size / chunk) chunks from 0; Flow: floor(size / chunk) from 1, the last taking the remainder.
                $count = if ($Kind -eq 'Flow') { 5 } else { 6 }
                Wait-ExistingChunkServerQuiet $server
                (Get-ChunkPosts $server).Chunk | Sort-Object | Should -Be ($First..($First + $count - 1))
                "$source.rtupload" | Should -Not -Exist
            }
            finally { Stop-ExistingChunkServer $server }
        }

        It '<Kind>: resumes with -Resume after kill -9, sending at most one chunk per connection again' -ForEach @(
            @{ Kind = 'Seed'; Says = '*cannot be asked which chunks it holds*' }
            @{ Kind = 'Flow'; Says = '*asking the server (GET) about each of the others*' }
        ) {
            $size = 3MB
            $chunk = 64KB
            $connections = 2
            $total = $size / $chunk
            # Each chunk POST waits 40 ms on the server, so the upload lasts about 1 s per 50 chunks and the kill lands midway.
            $server = Start-ExistingChunkServer -Kind $Kind -Directory (Join-Path $TestDrive "$Kind-kill-store") -DelayMs 40
            try {
                $source = New-SourceFile (Join-Path $TestDrive "$Kind-kill.bin") $size -Seed 22
                $state = "$source.rtupload"
                $killed = Stop-UploadMidway -StatePath $state -LogPath (Join-Path $TestDrive "$Kind-kill-child.log") -MinimumParts 8 -Command (
                    "Send-ChunkedFile -Path '$source' -Uri '$($server.Url)' -ChunkApiProfile $Kind -ChunkSize $chunk -Connections $connections")
                $killed.Parts | Should -BeLessThan $total
                Wait-ExistingChunkServerQuiet $server
                $first = Get-ChunkPosts $server
                $heldFirst = Get-HeldChunks $server "$Kind-kill.bin" $killed.UploadId
                # The state never claims a chunk the server did not acknowledge (Seed numbers from 0, Flow from 1).
                $base = if ($Kind -eq 'Flow') { 0 } else { 1 }
                foreach ($n in $killed.PartNumbers) { $heldFirst | Should -Contain ($n - $base) }

                $verbose = Send-ChunkedFile -Path $source -Uri $server.Url -ChunkApiProfile $Kind -ChunkSize $chunk -Connections $connections -Resume -PassThru -Verbose 4>&1
                $result = $verbose | Where-Object { $_ -is [ResumeTransfer.Core.Upload.UploadResult] }

                $result.UploadId | Should -Be $killed.UploadId
                $result.Restarted | Should -BeFalse
                $result.Verified | Should -BeFalse
                ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Out-String -Width 400) | Should -BeLike $Says
                Get-StoredSha256 $server $result "$Kind-kill.bin" | Should -Be (Get-Sha256 $source)
                $state | Should -Not -Exist
                Wait-ExistingChunkServerQuiet $server
                $second = @(Get-ChunkPosts $server | Select-Object -Skip $first.Count)
                $sentAgain = @($second.Chunk | Where-Object { $_ -in $heldFirst } | Sort-Object -Unique)
                $sentAgain.Count | Should -BeLessOrEqual $connections -Because "only chunks the kill cut off go twice (sent again: $($sentAgain -join ', '))"
                # Nothing the state recorded was sent again; every chunk the server lacked was sent once.
                @($second.Chunk | Where-Object { ($_ + $base) -in $killed.PartNumbers }).Count | Should -Be 0
                @($second | Where-Object Status -EQ 200).Count | Should -Be ($total - $heldFirst.Count + $sentAgain.Count)
                $result.BytesSkipped | Should -BeGreaterOrEqual $killed.PartBytes
                $result.BytesSkipped + $result.BytesSent | Should -Be $size
            }
            finally { Stop-ExistingChunkServer $server }
        }

        It '<Kind>: a source changed between kill -9 and -Resume is uploaded anew, never mixed' -ForEach @(
            @{ Kind = 'Seed' }
            @{ Kind = 'Flow' }
        ) {
            $size = 2MB
            $chunk = 64KB
            $server = Start-ExistingChunkServer -Kind $Kind -Directory (Join-Path $TestDrive "$Kind-changed-store") -DelayMs 40
            try {
                $source = New-SourceFile (Join-Path $TestDrive "$Kind-changed.bin") $size -Seed 23
                $killed = Stop-UploadMidway -StatePath "$source.rtupload" -LogPath (Join-Path $TestDrive "$Kind-changed-child.log") -MinimumParts 4 -Command (
                    "Send-ChunkedFile -Path '$source' -Uri '$($server.Url)' -ChunkApiProfile $Kind -ChunkSize $chunk -Connections 2")
                Wait-ExistingChunkServerQuiet $server
                $before = (Get-ChunkPosts $server).Count
                New-SourceFile $source $size -Seed 24 | Out-Null
                (Get-Item -LiteralPath $source).LastWriteTimeUtc = [DateTime]::UtcNow.AddMinutes(1)

                $result = Send-ChunkedFile -Path $source -Uri $server.Url -ChunkApiProfile $Kind -ChunkSize $chunk -Connections 2 -Resume -PassThru -WarningVariable warned -WarningAction SilentlyContinue

                $result.Restarted | Should -BeTrue
                $result.UploadId | Should -Not -Be $killed.UploadId
                ($warned | Out-String) | Should -BeLike '*changed since its upload*'
                $result.BytesSent | Should -Be $size
                Get-StoredSha256 $server $result "$Kind-changed.bin" | Should -Be (Get-Sha256 $source)
                Wait-ExistingChunkServerQuiet $server
                @(Get-ChunkPosts $server | Select-Object -Skip $before | Where-Object Status -EQ 200).Count | Should -Be ($size / $chunk)
            }
            finally { Stop-ExistingChunkServer $server }
        }

        It '<Kind>: a chunk answered 500 is retried and the file still arrives whole' -ForEach @(
            @{ Kind = 'Seed' }
            @{ Kind = 'Flow' }
        ) {
            $server = Start-ExistingChunkServer -Kind $Kind -Directory (Join-Path $TestDrive "$Kind-500-store") -Options '--fail-post', '2'
            try {
                $source = New-SourceFile (Join-Path $TestDrive "$Kind-500.bin") (4 * 64KB) -Seed 25
                $result = Send-ChunkedFile -Path $source -Uri $server.Url -ChunkApiProfile $Kind -ChunkSize 64KB -Connections 1 -PassThru

                Get-StoredSha256 $server $result "$Kind-500.bin" | Should -Be (Get-Sha256 $source)
                Wait-ExistingChunkServerQuiet $server
                $posts = Get-ChunkPosts $server
                @($posts | Where-Object Status -EQ 500).Count | Should -Be 1
                @($posts | Where-Object Status -EQ 200).Count | Should -Be 4
            }
            finally { Stop-ExistingChunkServer $server }
        }

        It 'a field map with base and merge path reaches a receiver with its own names' {
            $server = Start-ExistingChunkServer -Kind Seed -Directory (Join-Path $TestDrive 'mapped-store') -Options '--fields', 'chunk=index,file=blob', '--base', '1', '--merge-path', 'api/complete'
            try {
                $source = New-SourceFile (Join-Path $TestDrive 'mapped.bin') (3 * 64KB + 1) -Seed 26
                $result = Send-ChunkedFile $source $server.Url -ChunkApiFields @{ chunk = 'index'; file = 'blob' } -ChunkApiNumberBase 1 -ChunkApiMergePath 'api/complete' -ChunkSize 64KB -PassThru

                Get-StoredSha256 $server $result 'mapped.bin' | Should -Be (Get-Sha256 $source)
                Wait-ExistingChunkServerQuiet $server
                (Get-ChunkPosts $server).Chunk | Sort-Object | Should -Be (1..4)
                @(Get-ExistingChunkServerLog $server | Where-Object Path -EQ '/upload/api/complete').Count | Should -Be 1
            }
            finally { Stop-ExistingChunkServer $server }
        }

        It 'refuses <Case> as InvalidArgument before any traffic' -ForEach @(
            @{ Case = 'a field map naming an unknown field'; Extra = @{ ChunkApiFields = @{ chunk_no = 'n' } }; Message = "*'chunk_no', which the Seed profile does not send*" }
            @{ Case = 'a numbering base of 2'; Extra = @{ ChunkApiProfile = 'Seed'; ChunkApiNumberBase = 2 }; Message = '*-ChunkApiNumberBase 2 is not a numbering base*0 or 1*' }
            @{ Case = 'an absolute merge path'; Extra = @{ ChunkApiMergePath = '/merge' }; Message = "*-ChunkApiMergePath '/merge' is not a relative path*" }
            @{ Case = 'a merge path leading up'; Extra = @{ ChunkApiMergePath = '../merge' }; Message = '*is not a relative path*' }
            @{ Case = 'a merge URL'; Extra = @{ ChunkApiMergePath = 'https://elsewhere.example/merge' }; Message = '*is not a relative path*' }
            @{ Case = 'a merge path for Flow'; Extra = @{ ChunkApiProfile = 'Flow'; ChunkApiMergePath = 'merge' }; Message = '*Flow server assembles the file itself*' }
            @{ Case = 'a profile with -Protocol Tus'; Extra = @{ ChunkApiProfile = 'Seed'; Protocol = 'Tus' }; Message = '*for chunk API servers, not -Protocol Tus*' }
        ) {
            $server = Start-ExistingChunkServer -Kind Seed -Directory (Join-Path $TestDrive 'refused-store')
            try {
                $source = New-SourceFile (Join-Path $TestDrive 'refused.bin') 1000 -Seed 27

                { Send-ChunkedFile $source $server.Url @Extra -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument*' -ExpectedMessage $Message

                Start-Sleep -Milliseconds 200
                @(Get-ExistingChunkServerLog $server).Count | Should -Be 0
                "$source.rtupload" | Should -Not -Exist
            }
            finally { Stop-ExistingChunkServer $server }
        }
    }

    Context 'help' {
        BeforeAll {
            $Help = Get-Help Send-ChunkedFile -Full
        }

        It 'shows the chunk API profiles in its examples' {
            $examples = $Help.examples.example | Out-String -Width 300
            $examples | Should -BeLike '*-ChunkApiProfile Seed*'
            $examples | Should -BeLike '*-ChunkApiProfile Flow*'
            $examples | Should -BeLike '*-ChunkApiFields @{*-ChunkApiNumberBase 1 -ChunkApiMergePath*'
        }

        It 'has a synopsis and at least 6 examples' {
            $Help.Synopsis | Should -Not -BeNullOrEmpty
            $Help.Synopsis | Should -Not -Match '^\s*Send-ChunkedFile\s*\['   # the generated stand-in, not real help
            @($Help.examples.example).Count | Should -BeGreaterOrEqual 6
        }

        It 'describes -<Name>' -ForEach $ParameterCases {
            $parameter = $Help.parameters.parameter | Where-Object name -EQ $Name
            $parameter | Should -Not -BeNullOrEmpty
            ($parameter.description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        }

        It 'has about_ResumeTransfer, which explains the upload state file' {
            $env:PSModulePath = [System.IO.Path]::GetDirectoryName($ModulePath) + [System.IO.Path]::PathSeparator + $env:PSModulePath
            $about = Get-Help about_ResumeTransfer | Out-String
            $about | Should -Match '\.rtupload'
            $about | Should -Match 'ResumeTransfer/uploads'
        }
    }
}
