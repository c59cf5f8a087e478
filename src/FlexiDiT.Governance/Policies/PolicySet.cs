using FlexiDiT.Governance.Policies.Loading;

namespace FlexiDiT.Governance.Policies;

/// <summary>
/// Every policy in force: task types, tenants and the price of compute. Immutable; load a new one to change it.
/// </summary>
public sealed class PolicySet : ITenantPolicySource
{
    /// <summary>The file extensions <see cref="LoadDirectory"/> reads.</summary>
    public static readonly IReadOnlyList<string> FileExtensions = [".yaml", ".yml", ".json"];

    private readonly Dictionary<string, TaskPolicy> tasks;
    private readonly Dictionary<string, TenantPolicy> tenants;

    /// <summary>Initializes a new instance of the <see cref="PolicySet"/> class.</summary>
    /// <param name="tasks">The task types; names must be unique.</param>
    /// <param name="tenants">The tenants; ids must be unique and may only allow task types defined here.</param>
    /// <param name="pricing">The price of compute.</param>
    /// <exception cref="ArgumentException">An entry is invalid, duplicated or refers to an unknown task type.</exception>
    public PolicySet(IEnumerable<TaskPolicy> tasks, IEnumerable<TenantPolicy> tenants, PricingPolicy pricing)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(tenants);
        ArgumentNullException.ThrowIfNull(pricing);

        this.tasks = new Dictionary<string, TaskPolicy>(StringComparer.Ordinal);
        foreach (var task in tasks)
        {
            ArgumentNullException.ThrowIfNull(task, nameof(tasks));
            task.Validate();
            if (!this.tasks.TryAdd(task.Name, task))
            {
                throw new ArgumentException($"task type '{task.Name}' is defined more than once", nameof(tasks));
            }
        }

        this.tenants = new Dictionary<string, TenantPolicy>(StringComparer.Ordinal);
        foreach (var tenant in tenants)
        {
            ArgumentNullException.ThrowIfNull(tenant, nameof(tenants));
            tenant.Validate();
            var unknown = tenant.AllowedTaskTypes.FirstOrDefault(t => t != TenantPolicy.AnyTaskType && !this.tasks.ContainsKey(t));
            if (unknown is not null)
            {
                throw new ArgumentException($"tenant '{tenant.Id}' allows unknown task type '{unknown}'", nameof(tenants));
            }

            if (!this.tenants.TryAdd(tenant.Id, tenant))
            {
                throw new ArgumentException($"tenant '{tenant.Id}' is defined more than once", nameof(tenants));
            }
        }

        pricing.Validate();
        Pricing = pricing;
    }

    /// <summary>Gets the task types by name.</summary>
    public IReadOnlyDictionary<string, TaskPolicy> Tasks => tasks;

    /// <summary>Gets the tenants by id.</summary>
    public IReadOnlyDictionary<string, TenantPolicy> Tenants => tenants;

    /// <summary>Gets the price of compute.</summary>
    public PricingPolicy Pricing { get; }

    /// <summary>Finds a task type's policy.</summary>
    /// <param name="taskType">The task type.</param>
    /// <returns>The policy, or <see langword="null"/> when the task type is unknown.</returns>
    public TaskPolicy? FindTask(string taskType)
    {
        ArgumentNullException.ThrowIfNull(taskType);
        return tasks.GetValueOrDefault(taskType);
    }

    /// <inheritdoc />
    public TenantPolicy? FindTenant(string tenantId)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        return tenants.GetValueOrDefault(tenantId);
    }

    /// <summary>
    /// Loads every <c>.yaml</c>, <c>.yml</c> and <c>.json</c> file in a directory (not its subdirectories) as one
    /// policy set. Sections may be split across files in any way; each entry may be defined only once.
    /// </summary>
    /// <param name="path">The directory, e.g. <c>policies</c>.</param>
    /// <returns>The policy set.</returns>
    /// <exception cref="PolicyLoadException">A file is unreadable or invalid; every problem found is listed.</exception>
    public static PolicySet LoadDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!Directory.Exists(path))
        {
            throw new PolicyLoadException([new PolicyError(path, null, "policy directory not found")]);
        }

        var files = Directory.EnumerateFiles(path)
            .Where(f => FileExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
        {
            throw new PolicyLoadException([new PolicyError(path, null, "no policy files (*.yaml, *.yml, *.json) found")]);
        }

        return PolicySetAssembler.Load(files, path);
    }

    /// <summary>Loads the given policy files as one policy set.</summary>
    /// <param name="paths">The files; together they must define tasks, tenants and pricing.</param>
    /// <returns>The policy set.</returns>
    /// <exception cref="PolicyLoadException">A file is unreadable or invalid; every problem found is listed.</exception>
    public static PolicySet LoadFiles(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = paths.ToList();
        if (files.Count == 0)
        {
            throw new ArgumentException("at least one policy file is required", nameof(paths));
        }

        return PolicySetAssembler.Load(files, string.Join(", ", files));
    }

    /// <summary>Parses policy documents given as text, e.g. from a configuration service or a test.</summary>
    /// <param name="documents">Pairs of a source name (used in errors; <c>.json</c> names are read as JSON) and its text.</param>
    /// <returns>The policy set.</returns>
    /// <exception cref="PolicyLoadException">A document is invalid; every problem found is listed.</exception>
    public static PolicySet Parse(IEnumerable<(string Source, string Text)> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var list = documents.ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("at least one policy document is required", nameof(documents));
        }

        return PolicySetAssembler.Parse(list, string.Join(", ", list.Select(d => d.Source)));
    }
}
