using System;
using Amazon.Runtime;
using Amazon.S3;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.S3;

/// <summary>
/// The one way both directions make their S3 client from a request: -Endpoint (addressing and signing region from
/// <see cref="S3Addressing"/>), -Region, -Credential (access key as user name, secret as password) or the SDK's default
/// chain (environment, profile, instance role).
/// </summary>
internal static class S3ClientFactory
{
    /// <summary>Creates the client; <paramref name="connections"/> caps its connections to the store (null: the handler's default).</summary>
    /// <exception cref="TransferException">The SDK refused the settings (an unknown region, no credentials it can find).</exception>
    public static IAmazonS3 Create(TransferRequest request, int? connections)
    {
        var config = new AmazonS3Config
        {
            // Our retry pipeline owns retries (with the user's -MaxRetries); SDK retries would multiply them.
            MaxErrorRetry = 0,
            // The SDK's newer defaults (a CRC trailer on every upload, aws-chunked bodies, checksum validation of
            // downloads) are refused by many S3-compatible stores (OSS, COS, Swift, s3rver): only when an API requires them.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            // The whole-request limit of the SDK's HttpClient; -TimeoutSec (the stall timeout) may be longer.
            Timeout = request.StallTimeout > TimeSpan.FromMinutes(10) ? request.StallTimeout : TimeSpan.FromMinutes(10),
            HttpClientFactory = new S3HttpClientFactory(),
        };
        if (connections is { } cap)
        {
            config.MaxConnectionsPerServer = Math.Max(1, cap);
        }

        if (request.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.AbsoluteUri;
            config.ForcePathStyle = S3Addressing.UsesPathStyle(endpoint);
            config.AuthenticationRegion = S3Addressing.SigningRegion(endpoint, request.Region);
        }
        else if (request.Region is { } region)
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        }

        try
        {
            return request.Credential is { } credential
                ? new AmazonS3Client(new BasicAWSCredentials(credential.UserName, credential.Password), config)
                : new AmazonS3Client(config);
        }
        catch (AmazonClientException ex)
        {
            throw (TransferException)S3Failures.Map(ex, "Preparing the S3 client");
        }
    }
}
