using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.TestServer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download;

/// <summary>What every engine test class against the test server has: the server, one client, a temp folder, an observer.</summary>
public abstract class EngineTestBase : IClassFixture<TestServerFixture>, IDisposable
{
    private readonly TestServerFixture fixture;

    protected EngineTestBase(TestServerFixture fixture, string tempPrefix)
    {
        this.fixture = fixture;
        Temp = new TempDir(tempPrefix);
    }

    protected TestServerHost Server => fixture.Server;

    protected HttpClient Client { get; } = TransferHttpClientFactory.Create(8);

    protected TempDir Temp { get; }

    internal DownloadObserver Observer { get; } = new();

    public void Dispose()
    {
        Client.Dispose();
        Temp.Dispose();
        GC.SuppressFinalize(this);
    }

    protected DownloadEngine Engine() => new(Client, TimeProvider.System, Observer);
}
