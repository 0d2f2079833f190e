using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace ResumeTransfer.Core.Tests.Transfer;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that says when a timer is set to one chosen due time: a test then knows a stall
/// watchdog is counting (an attempt waits for bytes) and advances the clock past it, instead of sleeping.
/// </summary>
public sealed class ArmingTimeProvider : FakeTimeProvider
{
    private readonly TimeSpan watched;
    private readonly SemaphoreSlim armed = new(0);

    /// <param name="watched">The due time to report (use a stall timeout no other timer of the test has).</param>
    public ArmingTimeProvider(TimeSpan watched)
    {
        this.watched = watched;
    }

    /// <summary>Waits (at most 30 s each, to fail rather than hang) until a timer was set to the watched due time <paramref name="times"/> times in all.</summary>
    public async Task WaitUntilArmedAsync(int times = 1)
    {
        for (var i = 1; i <= times; i++)
        {
            Assert.True(await armed.WaitAsync(TimeSpan.FromSeconds(30)), $"a timer was not set to {watched} for the {i}. time within 30 s");
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new WatchedTimer(base.CreateTimer(callback, state, dueTime, period), this);
        timer.Noticed(dueTime);
        return timer;
    }

    private sealed class WatchedTimer(ITimer inner, ArmingTimeProvider owner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var changed = inner.Change(dueTime, period);
            Noticed(dueTime);
            return changed;
        }

        public void Noticed(TimeSpan dueTime)
        {
            if (dueTime == owner.watched)
            {
                owner.armed.Release();
            }
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
