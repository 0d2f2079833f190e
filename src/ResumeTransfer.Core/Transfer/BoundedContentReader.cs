using System;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// The one way the client reads a response body whole (a JSON or XML answer, an error text): never more than a limit,
/// whether or not the server announced a Content-Length. A server that sends more is not followed: a protocol answer
/// that is too large is a <see cref="TransferErrorKind.ProtocolViolation"/> naming the limit, an error text is cut short.
/// Bodies that carry the transferred bytes are streamed elsewhere, never read whole.
/// </summary>
public static class BoundedContentReader
{
    /// <summary>The largest protocol answer read (tus, S3 and chunk-API answers are a few KiB; a 10,000-part list is about 2 MiB).</summary>
    public const int AnswerLimit = 4 * 1024 * 1024;

    /// <summary>The most of a server's error text that goes into a message.</summary>
    public const int ErrorTextLimit = 4 * 1024;

    /// <summary>Reads <paramref name="content"/> whole, or throws a ProtocolViolation once it is longer than <paramref name="limit"/> bytes.</summary>
    /// <param name="content">The body.</param>
    /// <param name="limit">The most bytes accepted.</param>
    /// <param name="what">Whose answer it is, for the message ("The status answer of https://host/upload").</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async Task<byte[]> ReadAsync(HttpContent content, int limit, string what, CancellationToken cancellationToken)
    {
        var (bytes, complete) = await ReadPrefixAsync(content, limit, cancellationToken).ConfigureAwait(false);
        return complete ? bytes : throw TooLarge(what, limit);
    }

    /// <summary>At most <paramref name="limit"/> bytes of <paramref name="content"/>, and whether that was all of it.</summary>
    public static async Task<(byte[] Bytes, bool Complete)> ReadPrefixAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        if (content is null)
        {
            throw new ArgumentNullException(nameof(content));
        }

        if (content.Headers.ContentLength is { } announced && announced > limit)
        {
            // Not even started: the server said how much it would send.
            return (Array.Empty<byte>(), false);
        }

#if NET
        using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
#else
        cancellationToken.ThrowIfCancellationRequested();
        using var stream = await content.ReadAsStreamAsync().ConfigureAwait(false);
#endif
        using var copy = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            // One byte past the limit tells "exactly the limit" from "more".
            var wanted = (int)Math.Min(buffer.Length, limit + 1L - copy.Length);
            var read = await stream.ReadAsync(buffer, 0, wanted, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return (copy.ToArray(), true);
            }

            if (copy.Length + read > limit)
            {
                copy.Write(buffer, 0, limit - (int)copy.Length);
                return (copy.ToArray(), false);
            }

            copy.Write(buffer, 0, read);
        }
    }

    /// <summary>A server's text cut to <paramref name="maxChars"/> characters for a message, marked when it was cut.</summary>
    public static string Excerpt(string text, int maxChars = ErrorTextLimit)
    {
        if (text is null)
        {
            throw new ArgumentNullException(nameof(text));
        }

        return text.Length <= maxChars ? text : text.Substring(0, maxChars) + " [...]";
    }

    /// <summary>A stream that reads <paramref name="inner"/> but fails with the ProtocolViolation above once it went past <paramref name="limit"/> bytes.</summary>
    public static Stream Limit(Stream inner, int limit, string what) => new LimitedStream(inner, limit, what);

    private static TransferException TooLarge(string what, int limit) =>
        new(TransferErrorKind.ProtocolViolation, $"{what} is larger than the {limit / (1024 * 1024)} MiB the client reads of an answer; it was not read further. The server does not answer like the protocol describes.");

    /// <summary>For bodies a library reads itself (the AWS SDK's XML): the limit holds however it reads.</summary>
    private sealed class LimitedStream : ReadOnlyStream
    {
        private readonly Stream inner;
        private readonly int limit;
        private readonly string what;
        private long position;

        public LimitedStream(Stream inner, int limit, string what)
            : base(inner)
        {
            this.inner = inner;
            this.limit = limit;
            this.what = what;
        }

        public override long Position
        {
            get => position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, Wanted(count)));

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Count(await inner.ReadAsync(buffer, offset, Wanted(count), cancellationToken).ConfigureAwait(false));

        // Never more than one byte past the limit: that byte is what tells "exactly the limit" from "more".
        private int Wanted(int count) => (int)Math.Min(count, limit + 1L - position);

        private int Count(int read)
        {
            position += read;
            return position > limit ? throw TooLarge(what, limit) : read;
        }
    }
}
