using System;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Download;

/// <summary>Rejects a request that cannot work before anything touches the network or the disk.</summary>
public static class DownloadRequestValidator
{
    /// <summary>Throws <see cref="TransferException"/> of kind <see cref="TransferErrorKind.InvalidArgument"/>, naming the fix, for a request that cannot work.</summary>
    /// <remarks>The engine calls it first; the cmdlet calls it too, so a bad pipeline item is reported before -WhatIf or a slot wait.</remarks>
    public static void Validate(DownloadRequest request)
    {
        if (request is null)
        {
            throw new ArgumentNullException(nameof(request));
        }

        Sources.ByteSourceFactory.Validate(request);

        if (string.IsNullOrWhiteSpace(request.OutputPath))
        {
            throw Invalid("The output path is empty. Give a file or folder path.");
        }

        if (request.Connections < 1 || request.Connections > DownloadRequest.MaxConnections)
        {
            throw Invalid($"Connections must be between 1 and {DownloadRequest.MaxConnections}; {request.Connections} was given.");
        }

        if (request.MaxRetries < 0)
        {
            throw Invalid($"MaxRetries cannot be negative; {request.MaxRetries} was given. Use 0 to turn retrying off.");
        }

        if (request.RetryInterval < TimeSpan.Zero || request.StallTimeout <= TimeSpan.Zero || request.MaxRetryAfter < TimeSpan.Zero)
        {
            throw Invalid("RetryInterval and MaxRetryAfter cannot be negative and StallTimeout must be positive.");
        }

        var algorithm = FileHasher.Normalize(request.HashAlgorithm)
            ?? throw Invalid($"The hash algorithm '{request.HashAlgorithm}' is not supported. Use SHA256, SHA384, SHA512, SHA1 or MD5.");

        if (request.ExpectedHash is { } expected)
        {
            var hex = expected.Trim();
            if (hex.Length != FileHasher.HexLength(algorithm) || !IsHex(hex))
            {
                throw Invalid($"The expected hash '{expected}' is not a {algorithm} hash ({FileHasher.HexLength(algorithm)} hexadecimal digits). Check -ExpectedHash and -HashAlgorithm.");
            }
        }
    }

    private static bool IsHex(string text)
    {
        foreach (var c in text)
        {
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            {
                return false;
            }
        }

        return true;
    }

    private static TransferException Invalid(string message) => new(TransferErrorKind.InvalidArgument, message);
}
