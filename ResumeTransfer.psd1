@{
    RootModule           = 'ResumeTransfer.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0c4f0e-2a53-4b8e-9a56-3c1f5d7e9b21'
    Author               = 'ResumeTransfer contributors'
    CompanyName          = 'ResumeTransfer'
    Copyright            = '(c) ResumeTransfer contributors. MIT License.'
    Description          = 'Resumable, verified, multi-connection downloads and chunked uploads that never splice two versions of a file.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('ResumeTransfer.Format.ps1xml')
    CmdletsToExport      = @('Save-ResumableFile', 'Send-ChunkedFile')
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('download', 'resume', 'upload', 'tus', 's3', 'http', 'range')
            ProjectUri = 'https://example.invalid/ResumeTransfer'
        }
    }
}
