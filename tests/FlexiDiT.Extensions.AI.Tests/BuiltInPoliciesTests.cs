using FlexiDiT.Governance.Policies;

namespace FlexiDiT.Extensions.AI.Tests;

/// <summary>The policies an app without a policies folder runs with: the shipped files, built in.</summary>
public sealed class BuiltInPoliciesTests
{
    [Fact]
    public void Built_in_policies_are_the_shipped_policy_files_unchanged()
    {
        // The build copies the repository's policies/ next to the tests; the built-in ones must be exactly those files.
        var shipped = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, FlexiDiTPaths.PoliciesFolderName))
            .Where(f => PolicySet.FileExtensions.Contains(Path.GetExtension(f)))
            .Order(StringComparer.Ordinal)
            .Select(f => (FlexiDiTPolicies.BuiltInSourcePrefix + Path.GetFileName(f), File.ReadAllText(f)))
            .ToList();

        Assert.NotEmpty(shipped);
        Assert.Equal(shipped, FlexiDiTPolicies.BuiltInDocuments());
    }

    [Fact]
    public void Built_in_policies_define_the_default_task_type_and_tenant()
    {
        var options = new FlexiDiTOptions();

        var policies = FlexiDiTPolicies.LoadBuiltIn();

        Assert.NotNull(policies.FindTask(options.DefaultTaskType));
        Assert.NotNull(policies.FindTenant(options.DefaultTenant));
        Assert.True(policies.Pricing.CreditsPerTflop > 0);
    }

    [Fact]
    public void A_configured_policies_folder_that_is_missing_is_an_error_not_a_silent_fallback()
    {
        var missing = Path.Combine(Path.GetTempPath(), "flexidit-no-policies-" + Guid.NewGuid().ToString("N"));

        var error = Assert.Throws<PolicyLoadException>(() => FlexiDiTPolicies.Load(missing));

        Assert.Contains(missing, error.Message);
    }
}
