# Save-ResumableFile -Uri s3://bucket/key as a user runs it, in a real pwsh, against OpenStack Swift's s3api started by
# this file: each GetObject body is held to 4 MiB/s (like a store that caps each connection) so a kill -9 lands in the
# middle, and the proxy logs every GetObject with its Range and If-Match. Objects are stored with S3 PUTs signed here
# (Invoke-SwiftS3Put), not by the module under test. Run through build.ps1 -Task Test.

BeforeAll {
    . $PSScriptRoot/SwiftS3Peer.ps1
    . $PSScriptRoot/DetachedPwsh.ps1
    . $PSScriptRoot/StateFile.ps1
    $ModulePath = [System.IO.Path]::GetFullPath("$PSScriptRoot/../../out/ResumeTransfer")
    Import-Module $ModulePath -Force
    $ProgressPreference = 'SilentlyContinue'
    $Swift = Start-SwiftS3Peer -GetRate 4MB -LogGets
    $Endpoint = $Swift.Endpoint
    $Credential = Get-SwiftS3Credential $Swift

    function Get-Sha256([string] $Path) { (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant() }

    function New-Object3([string] $Key, [long] $Size, [int] $Seed) {
        # Stores $Size bytes made from $Seed at $Key; returns their SHA-256.
        $file = Join-Path $TestDrive "src-$Seed-$([guid]::NewGuid().ToString('n')).bin"
        $bytes = [byte[]]::new($Size)
        [System.Random]::new($Seed).NextBytes($bytes)
        [System.IO.File]::WriteAllBytes($file, $bytes)
        Invoke-SwiftS3Put $Swift -Key $Key -InFile $file
        $sha = Get-Sha256 $file
        Remove-Item -LiteralPath $file
        $sha
    }

    function Start-KilledDownload([string] $Key, [string] $Target, [long] $MinimumBytes) {
        # Starts the download in a detached child pwsh and kill -9s it once the state file records $MinimumBytes.
        $command = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$ModulePath'; " +
            "`$c = [pscredential]::new('$($Swift.AccessKey)', (ConvertTo-SecureString '$($Swift.SecretKey)' -AsPlainText -Force)); " +
            "Save-ResumableFile -Uri 's3://$($Swift.Bucket)/$Key' -OutFile '$Target' -Endpoint '$Endpoint' -Credential `$c -Connections 2"
        $child = Start-DetachedPwsh -Command $command -OutputPath "$Target.child.log"
        try {
            $progress = Wait-DownloadProgress -StatePath "$Target.rtstate" -Process $child.Process -MinimumBytes $MinimumBytes
            $child.Process.HasExited | Should -BeFalse -Because "the child must still be downloading when killed (last state: $($progress | Out-String -Width 200); output: $(Get-Content -Raw -LiteralPath "$Target.child.log" -ErrorAction SilentlyContinue) $(Get-Content -Raw -LiteralPath "$Target.child.log.stderr" -ErrorAction SilentlyContinue))"
        }
        finally {
            Stop-DetachedPwsh $child
        }
        $Target | Should -Not -Exist
        "$Target.rtpart" | Should -Exist
        (Get-DownloadProgress "$Target.rtstate").BytesOnDisk
    }
}

AfterAll {
    if ($Swift) { Stop-SwiftS3Peer $Swift }
}

Describe 'Save-ResumableFile from s3://' {
    It 'downloads an object over <Connections> connection(s), every range conditioned on its ETag' -ForEach @(
        @{ Connections = 1 }
        @{ Connections = 4 }
    ) {
        $key = "whole/$Connections.bin"
        $size = 32MB + 5
        $sha = New-Object3 $key $size (40 + $Connections)
        $target = Join-Path $TestDrive "whole-$Connections.bin"

        $result = Save-ResumableFile -Uri "s3://$($Swift.Bucket)/$key" -OutFile $target -Endpoint $Endpoint -Credential $Credential -Connections $Connections -PassThru

        Get-Sha256 $target | Should -Be $sha
        $result.Length | Should -Be $size
        $result.Connections | Should -Be $Connections
        $result.ETag | Should -Not -BeNullOrEmpty
        $gets = @(Get-SwiftS3GetLog $Swift $key)
        # The probe (byte 0), then one range per connection, each with If-Match: the ETag the probe saw.
        $gets[0].Start | Should -Be 0
        $gets[0].End | Should -Be 0
        $data = @($gets | Select-Object -Skip 1)
        $data | Should -HaveCount $Connections
        $data | ForEach-Object { $_.IfMatch | Should -Be $result.ETag }
        ($data | ForEach-Object { $_.End - $_.Start + 1 } | Measure-Object -Sum).Sum | Should -Be $size
    }

    It 'resumes after kill -9 with only the missing bytes, to the right SHA-256' {
        $key = 'kill/object.bin'
        $size = 48MB
        $sha = New-Object3 $key $size 50
        $target = Join-Path $TestDrive 'kill.bin'
        $onDisk = Start-KilledDownload $key $target 4MB
        $firstRun = @(Get-SwiftS3GetLog $Swift $key).Count

        $result = Save-ResumableFile -Uri "s3://$($Swift.Bucket)/$key" -OutFile $target -Endpoint $Endpoint -Credential $Credential -Connections 2 -Resume -PassThru

        Get-Sha256 $target | Should -Be $sha
        "$target.rtstate" | Should -Not -Exist
        $result.Restarted | Should -BeFalse
        $result.BytesResumed | Should -BeGreaterOrEqual $onDisk
        $result.BytesResumed + $result.BytesDownloaded | Should -Be $size
        # What the resume asked for (after its probe) is what was missing: no range starts at byte 0, and the ranges
        # together (a stolen tail is asked for twice: by its thief, and inside its victim's request) cover exactly it.
        $resume = @(Get-SwiftS3GetLog $Swift $key | Select-Object -Skip $firstRun | Select-Object -Skip 1)
        $resume | Should -Not -BeNullOrEmpty
        ($resume | ForEach-Object Start | Measure-Object -Minimum).Minimum | Should -BeGreaterThan 0
        $covered = 0L; $reach = -1L
        foreach ($range in $resume | Sort-Object Start) {
            if ($range.End -gt $reach) { $covered += $range.End - [Math]::Max($range.Start, $reach + 1) + 1; $reach = $range.End }
        }
        $covered | Should -Be ($size - $result.BytesResumed)
    }

    It 'starts over, never splices, when the key was overwritten between kill -9 and -Resume' {
        $key = 'kill/overwritten.bin'
        $size = 40MB
        New-Object3 $key $size 60 | Out-Null
        $target = Join-Path $TestDrive 'overwritten.bin'
        Start-KilledDownload $key $target 2MB | Out-Null
        $sha = New-Object3 $key $size 61   # the same length: only the ETag tells

        $result = Save-ResumableFile -Uri "s3://$($Swift.Bucket)/$key" -OutFile $target -Endpoint $Endpoint -Credential $Credential -Connections 4 -Resume -PassThru -WarningVariable warnings -WarningAction SilentlyContinue

        Get-Sha256 $target | Should -Be $sha
        $result.Restarted | Should -BeTrue
        $result.BytesResumed | Should -Be 0
        $result.BytesDownloaded | Should -Be $size
        ($warnings -join ' ') | Should -Match 'changed'
    }

    It 'cuts a multipart object stored by Send-ChunkedFile on its part boundaries' {
        $key = 'multipart/object.bin'
        $size = 30MB + 3
        $source = Join-Path $TestDrive 'multipart-src.bin'
        $bytes = [byte[]]::new($size); [System.Random]::new(70).NextBytes($bytes); [System.IO.File]::WriteAllBytes($source, $bytes)
        Send-ChunkedFile -Path $source -Uri "s3://$($Swift.Bucket)/$key" -Protocol S3 -Endpoint $Endpoint -Credential $Credential -ChunkSize 5MB | Out-Null
        $target = Join-Path $TestDrive 'multipart.bin'

        $result = Save-ResumableFile -Uri "s3://$($Swift.Bucket)/$key" -OutFile $target -Endpoint $Endpoint -Credential $Credential -Connections 4 -PassThru -Verbose 4>&1 |
            Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }

        Get-Sha256 $target | Should -Be (Get-Sha256 $source)
        $result.ETag | Should -Match '-7"$'
        $data = @(Get-SwiftS3GetLog $Swift $key | Select-Object -Skip 1)
        $data.Count | Should -BeGreaterOrEqual 4
        $data | ForEach-Object { $_.Start % 5MB | Should -Be 0 }
    }

    It 'fails with <ErrorId> and no retry for <Case>' -ForEach @(
        @{ Case = 'a missing key'; Uri = 's3://test-bucket/no/such.bin'; Secret = 'testing'; ErrorId = 'NotFound'; Says = 'no object with this key' }
        @{ Case = 'a missing bucket'; Uri = 's3://no-such-bucket/x.bin'; Secret = 'testing'; ErrorId = 'NotFound'; Says = 'bucket does not exist' }
        @{ Case = 'a wrong secret'; Uri = 's3://test-bucket/whole/1.bin'; Secret = 'wrong'; ErrorId = 'AccessDenied'; Says = 'refused the credentials' }
    ) {
        $target = Join-Path $TestDrive "error-$ErrorId-$([guid]::NewGuid().ToString('n')).bin"
        $credential = [pscredential]::new($Swift.AccessKey, (ConvertTo-SecureString $Secret -AsPlainText -Force))
        $watch = [System.Diagnostics.Stopwatch]::StartNew()

        { Save-ResumableFile -Uri $Uri -OutFile $target -Endpoint $Endpoint -Credential $credential -RetryIntervalSec 3 -ErrorAction Stop } |
            Should -Throw -ErrorId "$ErrorId*" -ExpectedMessage "*$Says*"

        $watch.Elapsed.TotalSeconds | Should -BeLessThan 3 -Because 'a retry would have waited 3 s'
        $target | Should -Not -Exist
        "$target.rtpart" | Should -Not -Exist
    }

    It 'refuses <Uri> before any request: <Says>' -ForEach @(
        @{ Uri = 's3://test-bucket'; Says = 'names a bucket, not an object' }
        @{ Uri = 's3://test-bucket/isos/'; Says = 'names a prefix, not an object' }
        @{ Uri = 's3://Test_Bucket/a.iso'; Says = 'is not a valid S3 bucket name' }
        @{ Uri = 's3://test-bucket/a.iso?versionId=1'; Says = 'has a query or fragment' }
        @{ Uri = 's3://AKIAEXAMPLE:s3cr3t@test-bucket/a.iso'; Says = 'give credentials with -Credential' }
    ) {
        $before = @(Get-SwiftS3GetLog $Swift 'a.iso').Count
        $target = Join-Path $TestDrive 'refused.bin'

        { Save-ResumableFile -Uri $Uri -OutFile $target -Endpoint $Endpoint -Credential $Credential -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidArgument*' -ExpectedMessage "*$Says*"

        $target | Should -Not -Exist
        @(Get-SwiftS3GetLog $Swift 'a.iso').Count | Should -Be $before
    }

    It 'sends nothing with -WhatIf' {
        $key = 'whatif/object.bin'
        New-Object3 $key 1000 80 | Out-Null
        $target = Join-Path $TestDrive 'whatif.bin'

        Save-ResumableFile -Uri "s3://$($Swift.Bucket)/$key" -OutFile $target -Endpoint $Endpoint -Credential $Credential -WhatIf

        $target | Should -Not -Exist
        @(Get-SwiftS3GetLog $Swift $key) | Should -HaveCount 0
    }
}
