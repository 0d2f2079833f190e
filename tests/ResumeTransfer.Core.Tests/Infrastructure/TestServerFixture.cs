using ResumeTransfer.TestServer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Infrastructure;

/// <summary>
/// One in-process <see cref="TestServerHost"/> (real Kestrel on 127.0.0.1 and 127.0.0.2, ephemeral ports) shared by
/// the tests that use it. Use it either as a class fixture (<c>IClassFixture&lt;TestServerFixture&gt;</c>: one server per
/// class, classes run in parallel) or through the <see cref="TestServerCollection"/> (<c>[Collection(TestServerCollection.Name)]</c>:
/// one server for every class in the collection, which then run one after another). Either way, give every test its own
/// tag (<see cref="TestTags.New"/>) so fault counts and log queries never see another test's requests.
/// </summary>
public sealed class TestServerFixture : IAsyncLifetime
{
    private TestServerHost? _server;

    public TestServerHost Server => _server ?? throw new InvalidOperationException("The test server has not been started.");

    /// <summary>Shortcut for <c>Server.Url(pathAndQuery)</c>.</summary>
    public Uri Url(string pathAndQuery) => Server.Url(pathAndQuery);

    public async Task InitializeAsync() => _server = await TestServerHost.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>The xunit collection that shares one <see cref="TestServerFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class TestServerCollection : ICollectionFixture<TestServerFixture>
{
    public const string Name = "TestServer";
}
