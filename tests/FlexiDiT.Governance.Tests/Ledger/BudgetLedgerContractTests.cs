using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Tests.Support;

namespace FlexiDiT.Governance.Tests.Ledger;

/// <summary>
/// The ledger's behaviour, which every <see cref="IBudgetStore"/> must give: each derived class runs every test on
/// one kind of store.
/// </summary>
public abstract class BudgetLedgerContractTests : IDisposable
{
    private readonly LedgerFactory factory;

    /// <summary>Initializes a new instance of the <see cref="BudgetLedgerContractTests"/> class.</summary>
    /// <param name="database">The throwaway database the tests run on.</param>
    protected BudgetLedgerContractTests(LedgerDatabase database) => factory = new LedgerFactory(database);

    /// <inheritdoc />
    public void Dispose()
    {
        factory.Dispose();
        GC.SuppressFinalize(this);
    }

    [SkippableFact]
    public async Task Commit_charges_the_actual_cost_and_releases_the_rest()
    {
        var ledger = await factory.OpenAsync();

        var reservation = await ledger.ReserveAsync("acme", null, 2m);
        var held = await ledger.GetStatusAsync("acme");
        var receipt = await ledger.CommitAsync(reservation.Id, 1.5m);
        var after = await ledger.GetStatusAsync("acme");

        Assert.Equal(new AccountBalance(100m, 0m, 2m), held.Tenant);
        Assert.Equal(98m, held.Remaining);
        Assert.Equal(new CommitReceipt(reservation.Id, 2m, 1.5m, 0.5m), receipt);
        Assert.Equal(new AccountBalance(100m, 1.5m, 0m), after.Tenant);
        Assert.Equal(98.5m, after.Remaining);
        var stored = await ledger.GetReservationAsync(reservation.Id);
        Assert.Equal(ReservationState.Committed, stored!.State);
        Assert.Equal(1_500_000, stored.ActualMicros);
    }

    [SkippableFact]
    public async Task Release_gives_everything_back_once_and_blocks_a_later_commit()
    {
        var ledger = await factory.OpenAsync();
        var reservation = await ledger.ReserveAsync("acme", null, 3m);

        Assert.True(await ledger.ReleaseAsync(reservation.Id));
        Assert.False(await ledger.ReleaseAsync(reservation.Id));
        Assert.Equal(new AccountBalance(100m, 0m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
        var ex = await Assert.ThrowsAsync<ReservationStateException>(() => ledger.CommitAsync(reservation.Id, 1m));
        Assert.Equal(ReservationState.Released, ex.State);
    }

    [SkippableFact]
    public async Task Reserve_never_takes_the_budget_past_its_limit()
    {
        var ledger = await factory.OpenAsync();

        var first = await ledger.TryReserveAsync("hobby", null, 3m);
        var second = await ledger.TryReserveAsync("hobby", null, 2.5m);
        var exactFit = await ledger.TryReserveAsync("hobby", null, 2m);

        Assert.True(first.Succeeded);
        Assert.False(second.Succeeded);
        Assert.Equal(BudgetScope.Tenant, second.Denial.Scope);
        Assert.Equal(5m, second.Denial.Limit);
        Assert.Equal(3m, second.Denial.Reserved);
        Assert.Equal(2m, second.Denial.Available);
        Assert.Equal("budget of tenant 'hobby' for 2025-03-14 cannot cover 2.5 credits: 2 available (limit 5, spent 0, reserved 3)", second.Denial.Message);
        Assert.True(exactFit.Succeeded);
        var ex = await Assert.ThrowsAsync<BudgetExceededException>(() => ledger.ReserveAsync("hobby", null, 0.000001m));
        Assert.Equal(0m, ex.Denial.Available);
    }

    [SkippableFact]
    public async Task Reserve_checks_the_users_own_budget_as_well_as_the_tenants()
    {
        var ledger = await factory.OpenAsync();

        Assert.True((await ledger.TryReserveAsync("acme", "alice", 8m)).Succeeded);
        var overUser = await ledger.TryReserveAsync("acme", "alice", 3m);
        Assert.True((await ledger.TryReserveAsync("acme", "bob", 3m)).Succeeded);

        Assert.Equal(BudgetScope.User, overUser.Denial!.Scope);
        Assert.Equal(10m, overUser.Denial.Limit);
        var alice = await ledger.GetStatusAsync("acme", "alice");
        Assert.Equal(new AccountBalance(10m, 0m, 8m), alice.User);
        Assert.Equal(new AccountBalance(100m, 0m, 11m), alice.Tenant);
        Assert.Equal(2m, alice.Remaining);
        var bob = await ledger.GetStatusAsync("acme", "bob");
        Assert.Equal(new AccountBalance(null, 0m, 3m), bob.User);
        Assert.Equal(89m, await ledger.GetRemainingAsync("acme", "bob"));
    }

    [SkippableFact]
    public async Task Commit_refuses_to_charge_more_than_was_reserved()
    {
        var ledger = await factory.OpenAsync();
        var reservation = await ledger.ReserveAsync("acme", null, 1m);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ledger.CommitAsync(reservation.Id, 1.000001m));

        Assert.Equal(ReservationState.Held, (await ledger.GetReservationAsync(reservation.Id))!.State);
        Assert.Equal(1m, (await ledger.CommitAsync(reservation.Id, 1m)).Charged);
    }

    [SkippableFact]
    public async Task Commit_is_not_repeatable_and_needs_an_existing_reservation()
    {
        var ledger = await factory.OpenAsync();
        var reservation = await ledger.ReserveAsync("acme", null, 1m);
        await ledger.CommitAsync(reservation.Id, 1m);

        var twice = await Assert.ThrowsAsync<ReservationStateException>(() => ledger.CommitAsync(reservation.Id, 1m));
        var unknown = await Assert.ThrowsAsync<ReservationStateException>(() => ledger.CommitAsync(Guid.NewGuid(), 1m));

        Assert.Equal(ReservationState.Committed, twice.State);
        Assert.Null(unknown.State);
        Assert.Equal(1m, (await ledger.GetStatusAsync("acme")).Tenant.Spent);
    }

    [SkippableFact]
    public async Task ReclaimExpired_releases_only_reservations_past_their_TTL()
    {
        var ledger = await factory.OpenAsync();
        var shortLived = await ledger.ReserveAsync("acme", null, 2m, TimeSpan.FromMinutes(1));
        var longLived = await ledger.ReserveAsync("acme", null, 3m, TimeSpan.FromMinutes(10));

        factory.Clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, await ledger.ReclaimExpiredAsync());
        factory.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await ledger.ReclaimExpiredAsync());

        Assert.Equal(3m, (await ledger.GetStatusAsync("acme")).Tenant.Reserved);
        Assert.Equal(ReservationState.Expired, (await ledger.GetReservationAsync(shortLived.Id))!.State);
        Assert.Equal(ReservationState.Held, (await ledger.GetReservationAsync(longLived.Id))!.State);
    }

    [SkippableFact]
    public async Task ExpiredHoldSweeper_reclaims_a_hold_at_the_first_tick_after_its_TTL()
    {
        var ledger = await factory.OpenAsync();
        var hold = await ledger.ReserveAsync("acme", null, 2m, TimeSpan.FromMinutes(1));
        var reclaimed = new List<int>();
        using var sweepDone = new SemaphoreSlim(0);
        await using var sweeper = new ExpiredHoldSweeper(ledger, TimeSpan.FromSeconds(15), factory.Clock);
        sweeper.Swept += (_, count) =>
        {
            lock (reclaimed)
            {
                reclaimed.Add(count);
            }

            sweepDone.Release();
        };

        // Ticks at 15, 30 and 45 s find nothing expired; the one at 60 s reclaims the hold. Each tick's sweep is awaited,
        // so no tick is skipped for a sweep still running.
        for (int tick = 0; tick < 4; tick++)
        {
            factory.Clock.Advance(TimeSpan.FromSeconds(15));
            Assert.True(await sweepDone.WaitAsync(TimeSpan.FromSeconds(30)), $"tick {tick + 1} did not sweep");
            if (tick == 2)
            {
                Assert.Equal(ReservationState.Held, (await ledger.GetReservationAsync(hold.Id))!.State);
            }
        }

        Assert.Equal(ReservationState.Expired, (await ledger.GetReservationAsync(hold.Id))!.State);
        Assert.Equal(0m, (await ledger.GetStatusAsync("acme")).Tenant.Reserved);
        lock (reclaimed)
        {
            Assert.Equal([0, 0, 0, 1], reclaimed);
        }
    }

    [SkippableFact]
    public async Task Commit_after_the_hold_was_reclaimed_still_charges_when_the_budget_has_room()
    {
        var ledger = await factory.OpenAsync();
        var late = await ledger.ReserveAsync("hobby", null, 3m, TimeSpan.FromMinutes(1));
        factory.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await ledger.ReclaimExpiredAsync());

        var receipt = await ledger.CommitAsync(late.Id, 2m);

        Assert.Equal(new CommitReceipt(late.Id, 3m, 2m, 1m), receipt);
        Assert.Equal(new AccountBalance(5m, 2m, 0m), (await ledger.GetStatusAsync("hobby")).Tenant);
        var stored = await ledger.GetReservationAsync(late.Id);
        Assert.Equal(ReservationState.Committed, stored!.State);
        Assert.Equal(2_000_000, stored.ActualMicros);
        var twice = await Assert.ThrowsAsync<ReservationStateException>(() => ledger.CommitAsync(late.Id, 2m));
        Assert.Equal(ReservationState.Committed, twice.State);
    }

    [SkippableFact]
    public async Task Commit_after_the_hold_was_reclaimed_is_refused_when_others_spent_the_budget_meanwhile()
    {
        var ledger = await factory.OpenAsync();
        var late = await ledger.ReserveAsync("hobby", null, 3m, TimeSpan.FromMinutes(1));
        factory.Clock.Advance(TimeSpan.FromMinutes(2));
        await ledger.ReclaimExpiredAsync();
        await SpendAsync(ledger, "hobby", null, 4m);

        var refused = await Assert.ThrowsAsync<ReservationStateException>(() => ledger.CommitAsync(late.Id, 2m));

        Assert.Equal(ReservationState.Expired, refused.State);
        Assert.Contains("expired", refused.Message);
        Assert.Equal(new AccountBalance(5m, 4m, 0m), (await ledger.GetStatusAsync("hobby")).Tenant);
        Assert.False(await ledger.ReleaseAsync(late.Id));
    }

    [SkippableFact]
    public async Task Commit_still_works_after_the_TTL_while_nothing_reclaimed_it()
    {
        var ledger = await factory.OpenAsync();
        var reservation = await ledger.ReserveAsync("acme", null, 2m, TimeSpan.FromMinutes(1));

        factory.Clock.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(2m, (await ledger.CommitAsync(reservation.Id, 2m)).Charged);
    }

    [SkippableFact]
    public async Task OpenAsync_reclaims_what_expired_while_no_ledger_was_running()
    {
        var first = await factory.OpenAsync();
        await first.ReserveAsync("acme", null, 4m, TimeSpan.FromMinutes(1));

        factory.Clock.Advance(TimeSpan.FromMinutes(2));
        var reopened = await factory.OpenAsync();

        Assert.Equal(0m, (await reopened.GetStatusAsync("acme")).Tenant.Reserved);
    }

    [SkippableFact]
    public async Task ThresholdCrossed_fires_once_per_threshold_in_order()
    {
        var ledger = await factory.OpenAsync();
        var alerts = new List<BudgetAlert>();
        ledger.ThresholdCrossed += (_, alert) => alerts.Add(alert);

        await SpendAsync(ledger, "acme", null, 40m);
        Assert.Empty(alerts);
        await SpendAsync(ledger, "acme", null, 15m);   // 55%
        await SpendAsync(ledger, "acme", null, 1m);    // 56%: nothing new
        await SpendAsync(ledger, "acme", null, 40m);   // 96%: crosses 0.8 and 0.95 at once

        Assert.Equal([0.5, 0.8, 0.95], alerts.Select(a => a.Threshold));
        Assert.All(alerts, a => Assert.Equal(BudgetScope.Tenant, a.Scope));
        Assert.Equal(55m, alerts[0].Spent);
        Assert.Equal(100m, alerts[0].Limit);
        Assert.Equal("2025-03", alerts[0].Period.Key);
    }

    [SkippableFact]
    public async Task ThresholdCrossed_fires_once_across_ledgers_sharing_the_store()
    {
        var one = await factory.OpenAsync();
        var two = await factory.OpenAsync();
        var alerts = new List<BudgetAlert>();
        one.ThresholdCrossed += (_, alert) => alerts.Add(alert);
        two.ThresholdCrossed += (_, alert) => alerts.Add(alert);

        await SpendAsync(one, "acme", null, 60m);
        await SpendAsync(two, "acme", null, 1m);

        Assert.Equal([0.5], alerts.Select(a => a.Threshold));
    }

    [SkippableFact]
    public async Task ThresholdCrossed_also_watches_users_with_their_own_budget()
    {
        var ledger = await factory.OpenAsync();
        var alerts = new List<BudgetAlert>();
        ledger.ThresholdCrossed += (_, alert) => alerts.Add(alert);

        await SpendAsync(ledger, "acme", "alice", 6m);

        var alert = Assert.Single(alerts);
        Assert.Equal("alice", alert.UserId);
        Assert.Equal(BudgetScope.User, alert.Scope);
        Assert.Equal(0.5, alert.Threshold);
        Assert.Equal(10m, alert.Limit);
    }

    [SkippableFact]
    public async Task A_faulty_ThresholdCrossed_subscriber_does_not_fail_the_commit()
    {
        var ledger = await factory.OpenAsync();
        ledger.ThresholdCrossed += (_, _) => throw new InvalidOperationException("subscriber bug");

        await SpendAsync(ledger, "hobby", null, 5m);

        Assert.Equal(5m, (await ledger.GetStatusAsync("hobby")).Tenant.Spent);
    }

    [SkippableFact]
    public async Task A_daily_period_rolls_over_at_UTC_midnight_with_fresh_alerts()
    {
        factory.Clock.SetUtcNow(new DateTimeOffset(2025, 3, 14, 23, 59, 59, TimeSpan.Zero));
        var ledger = await factory.OpenAsync();
        var alerts = new List<BudgetAlert>();
        ledger.ThresholdCrossed += (_, alert) => alerts.Add(alert);

        await SpendAsync(ledger, "hobby", null, 5m);
        var before = await ledger.GetStatusAsync("hobby");
        factory.Clock.Advance(TimeSpan.FromSeconds(1));
        var after = await ledger.GetStatusAsync("hobby");
        await SpendAsync(ledger, "hobby", null, 3m);

        Assert.Equal(0m, before.Remaining);
        Assert.Equal("2025-03-14", before.Period.Key);
        Assert.Equal(new DateTimeOffset(2025, 3, 15, 0, 0, 0, TimeSpan.Zero), before.Period.End);
        Assert.Equal(5m, after.Remaining);
        Assert.Equal("2025-03-15", after.Period.Key);
        Assert.Equal(["2025-03-14", "2025-03-14", "2025-03-14", "2025-03-15"], alerts.Select(a => a.Period.Key));
    }

    [SkippableFact]
    public async Task A_monthly_period_rolls_over_on_the_first()
    {
        factory.Clock.SetUtcNow(new DateTimeOffset(2025, 3, 31, 12, 0, 0, TimeSpan.Zero));
        var ledger = await factory.OpenAsync();

        await SpendAsync(ledger, "acme", null, 30m);
        factory.Clock.Advance(TimeSpan.FromHours(12));

        var status = await ledger.GetStatusAsync("acme");
        Assert.Equal("2025-04", status.Period.Key);
        Assert.Equal(100m, status.Remaining);
    }

    [SkippableFact]
    public async Task A_reservation_committed_after_midnight_counts_in_the_period_it_was_reserved_in()
    {
        factory.Clock.SetUtcNow(new DateTimeOffset(2025, 3, 14, 23, 59, 0, TimeSpan.Zero));
        var ledger = await factory.OpenAsync();
        var reservation = await ledger.ReserveAsync("hobby", null, 2m);

        factory.Clock.Advance(TimeSpan.FromMinutes(2));
        await ledger.CommitAsync(reservation.Id, 2m);

        Assert.Equal(5m, await ledger.GetRemainingAsync("hobby"));
        Assert.Equal("2025-03-14", reservation.Period.Key);
    }

    [SkippableFact]
    public async Task A_budget_override_replaces_the_policy_until_cleared()
    {
        var ledger = await factory.OpenAsync();

        await ledger.SetBudgetOverrideAsync("hobby", null, 10m);
        Assert.True((await ledger.TryReserveAsync("hobby", null, 8m)).Succeeded);
        var replica = await factory.OpenAsync();
        Assert.Equal(10m, (await replica.GetStatusAsync("hobby")).Tenant.Limit);

        await ledger.SetBudgetOverrideAsync("hobby", null, null);
        var status = await ledger.GetStatusAsync("hobby");
        Assert.Equal(5m, status.Tenant.Limit);
        Assert.Equal(0m, status.Remaining);
        Assert.False((await ledger.TryReserveAsync("hobby", null, 0.01m)).Succeeded);
    }

    [SkippableFact]
    public async Task A_budget_override_can_give_a_user_a_budget_of_their_own()
    {
        var ledger = await factory.OpenAsync();

        await ledger.SetBudgetOverrideAsync("acme", "bob", 1m);

        Assert.Equal(BudgetScope.User, (await ledger.TryReserveAsync("acme", "bob", 2m)).Denial!.Scope);
    }

    [SkippableFact]
    public async Task ResetPeriod_forgets_spend_keeps_holds_and_rearms_alerts()
    {
        var ledger = await factory.OpenAsync();
        var alerts = new List<BudgetAlert>();
        ledger.ThresholdCrossed += (_, alert) => alerts.Add(alert);
        await SpendAsync(ledger, "hobby", null, 3m);
        var inFlight = await ledger.ReserveAsync("hobby", null, 1m);

        var period = await ledger.ResetPeriodAsync("hobby");
        var status = await ledger.GetStatusAsync("hobby");
        await SpendAsync(ledger, "hobby", null, 3m);

        Assert.Equal("2025-03-14", period.Key);
        Assert.Equal(new AccountBalance(5m, 0m, 1m), status.Tenant);
        Assert.Equal([0.5, 0.5], alerts.Select(a => a.Threshold));
        Assert.Equal(1m, (await ledger.CommitAsync(inFlight.Id, 1m)).Charged);
    }

    [SkippableFact]
    public async Task Reserve_validates_its_arguments()
    {
        var ledger = await factory.OpenAsync();

        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => ledger.ReserveAsync("nobody", null, 1m));
        Assert.Contains("unknown tenant 'nobody'", unknown.Message);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ledger.ReserveAsync("acme", null, -1m));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ledger.ReserveAsync("acme", null, 1m, TimeSpan.FromDays(2)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ledger.ReserveAsync("acme", null, 1m, TimeSpan.Zero));
        await Assert.ThrowsAsync<ArgumentException>(() => ledger.ReserveAsync("acme", "no spaces allowed", 1m));
    }

    private static async Task SpendAsync(BudgetLedger ledger, string tenant, string? user, decimal amount)
    {
        var reservation = await ledger.ReserveAsync(tenant, user, amount);
        await ledger.CommitAsync(reservation.Id, amount);
    }
}
