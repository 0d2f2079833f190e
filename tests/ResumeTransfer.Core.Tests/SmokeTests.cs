using ResumeTransfer.Core.Download.Sources;
using Xunit;

namespace ResumeTransfer.Core.Tests;

public class RemoteIdentityTests
{
    [Fact]
    public void DifferentETagsAreDifferentVersions()
    {
        var a = new RemoteIdentity(10, "\"a\"", null, false);
        var b = new RemoteIdentity(10, "\"b\"", null, false);
        Assert.False(a.IsSameVersionAs(b));
        Assert.True(a.IsSameVersionAs(a with { LastModified = System.DateTimeOffset.UnixEpoch }));
    }
}
