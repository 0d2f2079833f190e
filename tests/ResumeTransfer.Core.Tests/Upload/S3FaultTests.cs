using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Tests.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.S3;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>The S3 protocol against a scripted S3 server (<see cref="S3FaultServer"/>), for answers no real peer gives.</summary>
public sealed class S3FaultTests : IDisposable
{
    private readonly TempDir dir = new("rt-s3-fault");

    public void Dispose() => dir.Dispose();

    [Theory]
    [InlineData(0, 2)]
    [InlineData(-1, 2)]
    [InlineData(1000, 11)]
    public async Task PartListThatNeverEndsIsAProtocolViolation(int markerStep, int expectedPages)
    {
        var path = SourceFiles.Create(dir.File($"list-{markerStep}.bin"), 1000);
        await using var server = await S3FaultServer.StartAsync(context =>
        {
            // Always "truncated"; the next marker stays put (step 0), goes back (-1: 5, 4, 3, ..., 0, 5, ... looped for
            // ever before), or runs past the last possible part number (looped for ever before).
            var marker = int.TryParse(context.Request.Query["part-number-marker"], out var m) ? m : 0;
            var next = markerStep switch
            {
                0 => Math.Max(marker, 1),
                < 0 => marker == 0 ? 5 : marker - 1,
                _ => marker + markerStep,
            };
            return S3FaultServer.XmlAsync(
                context,
                $"<ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>faults</Bucket><Key>k</Key><UploadId>u1</UploadId>" +
                $"<PartNumberMarker>{marker}</PartNumberMarker><NextPartNumberMarker>{next}</NextPartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>true</IsTruncated>" +
                $"<Part><PartNumber>{next}</PartNumber><LastModified>2020-01-01T00:00:00.000Z</LastModified><ETag>\"0123456789abcdef0123456789abcdef\"</ETag><Size>5242880</Size></Part>" +
                "</ListPartsResult>");
        });

        using var protocol = S3FaultServer.Protocol(server.Request(path, "k"), new UploadTestObserver());
        var source = new UploadSource(path, SourceFingerprint.Compute(path));
        var session = new UploadSession { UploadId = "u1", ChunkSize = 5 * 1024 * 1024 };

        var error = await Assert.ThrowsAsync<TransferException>(() => protocol.GetStatusAsync(session, source, CancellationToken.None));

        Assert.Equal(TransferErrorKind.ProtocolViolation, error.Kind);
        Assert.Contains("does not move forward", error.Message, StringComparison.Ordinal);
        Assert.Equal(expectedPages, server.Log.Count(line => line.StartsWith("GET /faults/k", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task PartListWithoutEndIsNotReadPastTheLimit()
    {
        var path = SourceFiles.Create(dir.File("huge.bin"), 1000);
        await using var server = new EndlessBodyServer(
            200,
            "application/xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>faults</Bucket><Key>k</Key><UploadId>u1</UploadId><IsTruncated>false</IsTruncated>",
            "<Part><PartNumber>1</PartNumber><ETag>\"0123456789abcdef0123456789abcdef\"</ETag><Size>5242880</Size></Part>");
        var request = new UploadRequest
        {
            Path = path,
            Uri = new Uri("s3://faults/k"),
            Protocol = UploadProtocolKind.S3,
            Endpoint = server.BaseUri,
            Credential = new System.Net.NetworkCredential("test", "test"),
        };

        using var protocol = S3FaultServer.Protocol(request, new UploadTestObserver());
        var source = new UploadSource(path, SourceFingerprint.Compute(path));
        var session = new UploadSession { UploadId = "u1", ChunkSize = 5 * 1024 * 1024 };

        // Before, the SDK read all 400 MiB (chunked, no Content-Length) into its part list.
        var error = await Assert.ThrowsAsync<TransferException>(() => protocol.GetStatusAsync(session, source, CancellationToken.None));

        Assert.Equal(TransferErrorKind.ProtocolViolation, error.Kind);
        Assert.Contains("larger than the 4 MiB", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Requests);
        Assert.InRange(server.BodyBytesSent, 0, 64L * 1024 * 1024);
    }

    [Fact]
    public async Task LookupAfterNoSuchUploadThatFailsOnTheNetworkIsTransientAndItsRetryCompletes()
    {
        var path = SourceFiles.Create(dir.File("done.bin"), 1000);
        var md5 = Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(path)));
        var expected = S3MultipartProtocol.MultipartETag([md5]);
        var heads = 0;
        var lookupWorks = false;
        await using var server = await S3FaultServer.StartAsync(async context =>
        {
            if (HttpMethods.IsPost(context.Request.Method))
            {
                await S3FaultServer.ErrorAsync(context, 404, "NoSuchUpload");
            }
            else if (HttpMethods.IsHead(context.Request.Method) && !lookupWorks)
            {
                // The connection breaks while the object is looked up (on every connection: HttpClient tries a broken
                // reused connection once more on a new one by itself).
                Interlocked.Increment(ref heads);
                context.Abort();
            }
            else
            {
                context.Response.Headers.ETag = $"\"{expected}\"";
                context.Response.ContentLength = 1000;
            }
        });

        using var protocol = S3FaultServer.Protocol(server.Request(path, "done.bin"), new UploadTestObserver());
        var source = new UploadSource(path, SourceFingerprint.Compute(path));
        var session = new UploadSession { UploadId = "u1", ChunkSize = 5 * 1024 * 1024 };
        ChunkReceipt[] parts = [new(1, 0, 1000, md5, $"\"{md5}\"")];

        // Before, the lookup ran inside the catch of the Complete call: its failure escaped unmapped (UnexpectedError, not retried).
        var error = await Assert.ThrowsAsync<TransientTransferException>(() => protocol.CompleteAsync(session, source, parts, CancellationToken.None));
        Assert.Equal(TransferErrorKind.ConnectionFailed, error.Kind);

        Assert.True(heads >= 1);
        lookupWorks = true;
        var completion = await protocol.CompleteAsync(session, source, parts, CancellationToken.None);
        Assert.Equal(expected, completion.ETag!.Trim('"'));
        Assert.Equal(heads + 1, server.Log.Count(line => line.StartsWith("HEAD /faults/done.bin", StringComparison.Ordinal)));
    }
}
