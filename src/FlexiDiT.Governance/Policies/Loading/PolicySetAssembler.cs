namespace FlexiDiT.Governance.Policies.Loading;

/// <summary>Merges parsed policy files into one <see cref="PolicySet"/>, checking what spans files.</summary>
internal static class PolicySetAssembler
{
    public static PolicySet Load(IReadOnlyList<string> files, string origin)
    {
        var diagnostics = new PolicyDiagnostics();
        var documents = new List<(string Source, string Text)>(files.Count);
        foreach (var file in files)
        {
            try
            {
                documents.Add((file, File.ReadAllText(file)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                diagnostics.Error(file, (int?)null, $"cannot read the file: {ex.Message}");
            }
        }

        return Build(documents, origin, diagnostics, files);
    }

    public static PolicySet Parse(IReadOnlyList<(string Source, string Text)> documents, string origin) =>
        Build(documents, origin, new PolicyDiagnostics(), documents.Select(d => d.Source).ToList());

    private static PolicySet Build(
        IReadOnlyList<(string Source, string Text)> documents,
        string origin,
        PolicyDiagnostics diagnostics,
        IReadOnlyList<string> fileOrder)
    {
        var tasks = new Dictionary<string, Located<TaskPolicy>>(StringComparer.Ordinal);
        var tenants = new Dictionary<string, Located<TenantDraft>>(StringComparer.Ordinal);
        Located<PricingPolicy>? pricing = null;
        var declaredTasks = new HashSet<string>(StringComparer.Ordinal);
        var everythingKnown = documents.Count == fileOrder.Count;

        foreach (var (source, text) in documents)
        {
            var parsed = PolicyDocumentParser.Parse(source, text, diagnostics);
            everythingKnown &= parsed.Readable;
            declaredTasks.UnionWith(parsed.DeclaredTasks);
            foreach (var task in parsed.Tasks)
            {
                if (!tasks.TryAdd(task.Value.Name, task))
                {
                    diagnostics.Error(task.File, task.Line, $"task '{task.Value.Name}' is already defined at {tasks[task.Value.Name].Where}");
                }
            }

            foreach (var tenant in parsed.Tenants)
            {
                var id = tenant.Value.Policy.Id;
                if (!tenants.TryAdd(id, tenant))
                {
                    diagnostics.Error(tenant.File, tenant.Line, $"tenant '{id}' is already defined at {tenants[id].Where}");
                }
            }

            foreach (var price in parsed.Pricing)
            {
                if (pricing is null)
                {
                    pricing = price;
                }
                else
                {
                    diagnostics.Error(price.File, price.Line, $"section 'pricing' is already defined at {pricing.Where}");
                }
            }
        }

        // A section that failed to parse has already been reported; only report absence when nothing was found.
        if (!diagnostics.HasErrors)
        {
            if (tasks.Count == 0)
            {
                diagnostics.Error(origin, (int?)null, "no task types defined: a 'tasks' section is required");
            }

            if (tenants.Count == 0)
            {
                diagnostics.Error(origin, (int?)null, "no tenants defined: a 'tenants' section is required");
            }

            if (pricing is null)
            {
                diagnostics.Error(origin, (int?)null, "no prices defined: a 'pricing' section is required");
            }
        }

        // Cross-references are checked against every task type declared, even one with invalid fields, so a typo in
        // a task does not also show up as errors in every tenant that allows it. When a file could not be read or
        // parsed, what it declares is unknown and the check would only produce noise.
        if (everythingKnown)
        {
            CheckAllowedTasks(tenants.Values, declaredTasks, diagnostics);
        }

        if (diagnostics.HasErrors)
        {
            throw new PolicyLoadException(diagnostics.Sorted(fileOrder));
        }

        try
        {
            return new PolicySet(tasks.Values.Select(t => t.Value), tenants.Values.Select(t => t.Value.Policy), pricing!.Value);
        }
        catch (ArgumentException ex)
        {
            // The parser checks everything the constructor does; this keeps a future rule from escaping unlocated.
            throw new PolicyLoadException([new PolicyError(origin, null, ex.Message)]);
        }
    }

    private static void CheckAllowedTasks(
        IEnumerable<Located<TenantDraft>> tenants,
        IReadOnlySet<string> tasks,
        PolicyDiagnostics diagnostics)
    {
        foreach (var tenant in tenants)
        {
            foreach (var allowed in tenant.Value.AllowedTasks)
            {
                if (allowed.Value != TenantPolicy.AnyTaskType && !tasks.Contains(allowed.Value))
                {
                    var known = tasks.Order(StringComparer.Ordinal).Append(TenantPolicy.AnyTaskType);
                    diagnostics.Error(
                        allowed.File,
                        allowed.Line,
                        $"tenant '{tenant.Value.Policy.Id}': field 'allowedTasks' names unknown task type '{allowed.Value}'{FieldSuggestions.Hint(allowed.Value, known)}");
                }
            }
        }
    }
}
