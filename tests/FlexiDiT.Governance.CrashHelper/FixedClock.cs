/// <summary>A clock stopped at the instant the test chose, so the child and the test agree on expiry.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
