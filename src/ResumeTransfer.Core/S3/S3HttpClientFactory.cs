using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.S3;

/// <summary>
/// The HttpClient the AWS SDK talks to S3 with: the SDK's own settings, and every answer body but an object's bytes read
/// through <see cref="BoundedContentReader"/>. The SDK reads each XML answer (and error document) whole, so no such answer
/// needs more than <see cref="BoundedContentReader.AnswerLimit"/>; the bytes of a ranged GetObject that succeeded are the
/// download's, streamed by the caller and checked against their Content-Range there.
/// </summary>
internal sealed class S3HttpClientFactory : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        if (clientConfig is null)
        {
            throw new ArgumentNullException(nameof(clientConfig));
        }

        var handler = new HttpClientHandler { AllowAutoRedirect = clientConfig.AllowAutoRedirect, UseCookies = false };
        if (clientConfig.MaxConnectionsPerServer is { } connections)
        {
            handler.MaxConnectionsPerServer = connections;
        }

        var client = new HttpClient(new BoundedAnswers(handler), disposeHandler: true);
        if (clientConfig.Timeout is { } timeout)
        {
            client.Timeout = timeout;
        }

        return client;
    }

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => true;

    /// <summary>
    /// The SDK shares one HttpClient among the S3 clients whose configs give the same string: it names every setting
    /// <see cref="CreateHttpClient"/> reads, so a download with -Connections 1 never leaves its one-connection pool to a
    /// later transfer of the session that asked for more.
    /// </summary>
    public override string GetConfigUniqueString(IClientConfig clientConfig) =>
        clientConfig is null
            ? throw new ArgumentNullException(nameof(clientConfig))
            : string.Join(
                ":",
                nameof(S3HttpClientFactory),
                clientConfig.MaxConnectionsPerServer?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default",
                clientConfig.Timeout?.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default",
                clientConfig.AllowAutoRedirect ? "redirects" : "no-redirects");

    /// <summary>Replaces each response's body by one that fails past the limit, however the SDK reads it.</summary>
    private sealed class BoundedAnswers : DelegatingHandler
    {
        public BoundedAnswers(HttpMessageHandler inner)
            : base(inner)
        {
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.Content is not { } original || IsObjectBytes(request, response))
            {
                return response;
            }

            // The SDK's addresses do not allow path or query access (no canonicalization): name the server only.
            var where = request.RequestUri is { IsAbsoluteUri: true } uri ? "S3 at " + uri.GetLeftPart(UriPartial.Authority) : "S3";
            var body = await original.ReadAsStreamAsync().ConfigureAwait(false);
            var bounded = new StreamContent(BoundedContentReader.Limit(body, BoundedContentReader.AnswerLimit, $"The answer of {where}"));
            foreach (var header in original.Headers)
            {
                bounded.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = bounded;
            return response;
        }

        // Downloads always ask for a range; an upload never reads an object (only lists, heads and completes).
        private static bool IsObjectBytes(HttpRequestMessage request, HttpResponseMessage response) =>
            request.Method == HttpMethod.Get && response.IsSuccessStatusCode && request.Headers.Contains("Range");
    }
}
