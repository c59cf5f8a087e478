using System.Globalization;
using FlexiDiT.Governance.Knowledge;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FlexiDiT.Governance.Policies.Loading;

/// <summary>Parses one policy file (YAML, or JSON read as YAML) into located policies, reporting every error.</summary>
internal sealed class PolicyDocumentParser
{
    private static readonly string[] SectionNames = ["tasks", "tenants", "pricing"];
    private static readonly string[] TaskFields = ["description", "qualityFloor", "defaultSlaMs", "mayDegrade", "maxCount"];
    private static readonly string[] FloorFields = ["maxFrechetRatio", "minClassAccuracy"];
    private static readonly string[] TenantFields = ["description", "budget", "period", "alertThresholds", "allowedTasks", "users"];
    private static readonly string[] UserFields = ["budget"];
    private static readonly string[] PricingFields = ["creditsPerTflop", "minimumChargePerImage"];

    private readonly string file;
    private readonly PolicyDiagnostics diagnostics;
    private readonly ParsedPolicyDocument result = new();

    private PolicyDocumentParser(string file, PolicyDiagnostics diagnostics)
    {
        this.file = file;
        this.diagnostics = diagnostics;
    }

    public static ParsedPolicyDocument Parse(string file, string text, PolicyDiagnostics diagnostics)
    {
        var parser = new PolicyDocumentParser(file, diagnostics);
        var root = parser.LoadRoot(text);
        if (root is not null)
        {
            parser.ParseRoot(root);
        }
        else
        {
            parser.result.Readable = false;
        }

        return parser.result;
    }

    private YamlNode? LoadRoot(string text)
    {
        if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            // JSON is YAML except that YAML forbids tab indentation. JSON strings cannot hold a raw tab, so every tab
            // is whitespace and can become a space without moving any line.
            text = text.Replace('\t', ' ');
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            diagnostics.Error(file, (int)ex.Start.Line, $"not valid YAML: {WithoutMark(ex.Message)}");
            return null;
        }

        if (stream.Documents.Count == 0 || YamlFields.IsNull(stream.Documents[0].RootNode))
        {
            diagnostics.Error(file, 1, $"the file is empty; expected one or more of the sections {string.Join(", ", SectionNames)}");
            return null;
        }

        if (stream.Documents.Count > 1)
        {
            diagnostics.Error(file, stream.Documents[1].RootNode, "only one YAML document per file is allowed");
        }

        return stream.Documents[0].RootNode;
    }

    private void ParseRoot(YamlNode root)
    {
        var sections = YamlFields.Open(diagnostics, file, root, "policy file", SectionNames, noun: "section");
        if (sections is null)
        {
            return;
        }

        if (sections.Get("tasks", required: false) is { } tasks)
        {
            ForEachEntry(tasks, "tasks", "task type", ParseTask);
        }

        if (sections.Get("tenants", required: false) is { } tenants)
        {
            ForEachEntry(tenants, "tenants", "tenant", ParseTenant);
        }

        if (sections.Get("pricing", required: false) is { } pricing)
        {
            ParsePricing(pricing, sections.KeyOf("pricing")!);
        }
    }

    private void ForEachEntry(YamlNode section, string sectionName, string what, Action<YamlScalarNode, YamlNode> parse)
    {
        if (section is not YamlMappingNode entries)
        {
            diagnostics.Error(file, section, $"section '{sectionName}' must map each {what} to its fields (got {YamlFields.Describe(section)})");
            return;
        }

        foreach (var (key, value) in entries.Children)
        {
            if (key is YamlScalarNode { Value: { Length: > 0 } } scalarKey)
            {
                parse(scalarKey, value);
            }
            else
            {
                diagnostics.Error(file, key, $"section '{sectionName}': each {what} must be named by plain text");
            }
        }
    }

    private void ParseTask(YamlScalarNode key, YamlNode node)
    {
        var name = key.Value!;
        var context = $"task '{name}'";
        result.DeclaredTasks.Add(name);
        if (!PolicyNames.TaskType().IsMatch(name))
        {
            diagnostics.Error(file, key, $"{context}: task type names must be lower-case letters, digits and hyphens");
        }

        var fields = YamlFields.Open(diagnostics, file, node, context, TaskFields, owner: key);
        if (fields is null)
        {
            return;
        }

        var description = fields.Get("description", required: false) is null ? null : fields.Text("description", required: false);
        var floor = ParseFloor(fields);
        var sla = fields.Integer("defaultSlaMs", required: true, min: 1, "must be a positive integer");
        var mayDegrade = fields.Boolean("mayDegrade", required: true);
        var maxCount = fields.Integer("maxCount", required: true, min: 1, "must be a positive integer");

        if (floor is not null && sla is not null && mayDegrade is not null && maxCount is not null && PolicyNames.TaskType().IsMatch(name))
        {
            var task = new TaskPolicy
            {
                Name = name,
                Description = description,
                QualityFloor = floor,
                DefaultSlaMs = sla.Value,
                MayDegrade = mayDegrade.Value,
                MaxCount = maxCount.Value,
            };
            result.Tasks.Add(new Located<TaskPolicy>(task, file, PolicyDiagnostics.LineOf(key)));
        }
    }

    private QualityFloor? ParseFloor(YamlFields task)
    {
        var node = task.Get("qualityFloor", required: true);
        if (node is null)
        {
            return null;
        }

        // Keywords may be quoted (JSON has no other way to write them); only numbers and booleans must be bare.
        if (node is YamlScalarNode { Value: "none" })
        {
            return QualityFloor.None;
        }

        if (node is not YamlMappingNode)
        {
            task.Error(node, $"field 'qualityFloor' must be 'none' or a mapping with {string.Join(" and/or ", FloorFields)} (got {YamlFields.Describe(node)})");
            return null;
        }

        var fields = YamlFields.Open(diagnostics, file, node, $"{task.Context}: qualityFloor", FloorFields, owner: node);
        if (fields is null)
        {
            return null;
        }

        // A ratio below 1 asks for better than full compute, which no plan can give: almost always a typo for 1.0x.
        var ratioNode = fields.Get("maxFrechetRatio", required: false);
        var ratio = ratioNode is null ? null : fields.Number("maxFrechetRatio", required: false, r => r >= 1, "must be a number of at least 1 (1 = as good as full compute)");
        var accuracyNode = fields.Get("minClassAccuracy", required: false);
        var accuracy = accuracyNode is null ? null : fields.Number("minClassAccuracy", required: false, a => a > 0 && a <= 1, "must be a number in (0, 1]");

        if (ratioNode is null && accuracyNode is null)
        {
            task.Error(node, $"field 'qualityFloor' must set {string.Join(" and/or ", FloorFields)}, or be 'none'");
            return null;
        }

        if ((ratioNode is not null && ratio is null) || (accuracyNode is not null && accuracy is null))
        {
            return null;
        }

        return new QualityFloor { MaxFrechetRatio = ratio, MinClassAccuracy = accuracy };
    }

    private void ParseTenant(YamlScalarNode key, YamlNode node)
    {
        var id = key.Value!;
        var context = $"tenant '{id}'";
        var validId = PolicyNames.AccountId().IsMatch(id);
        if (!validId)
        {
            diagnostics.Error(file, key, $"{context}: tenant ids must be letters, digits and . _ @ + -, starting with a letter or digit");
        }

        var fields = YamlFields.Open(diagnostics, file, node, context, TenantFields, owner: key);
        if (fields is null)
        {
            return;
        }

        if (fields.Get("description", required: false) is not null)
        {
            fields.Text("description", required: false);
        }

        var budget = fields.Credits("budget", required: true);
        var period = ParsePeriod(fields);
        var thresholds = ParseThresholds(fields, out var thresholdsOk);
        var allowed = ParseAllowedTasks(fields);
        var users = ParseUsers(fields, budget, out var usersOk);

        if (validId && budget is not null && period is not null && thresholdsOk && allowed is not null && usersOk)
        {
            var policy = new TenantPolicy
            {
                Id = id,
                Budget = budget.Value,
                Period = period.Value,
                AlertThresholds = thresholds,
                AllowedTaskTypes = allowed.Select(a => a.Value).ToHashSet(StringComparer.Ordinal),
                UserBudgets = users,
            };
            result.Tenants.Add(new Located<TenantDraft>(new TenantDraft(policy, allowed), file, PolicyDiagnostics.LineOf(key)));
        }
    }

    private static BudgetPeriod? ParsePeriod(YamlFields fields)
    {
        var node = fields.Get("period", required: true);
        switch (node)
        {
            case null:
                return null;
            case YamlScalarNode { Value: "daily" }:
                return BudgetPeriod.Daily;
            case YamlScalarNode { Value: "monthly" }:
                return BudgetPeriod.Monthly;
            default:
                fields.Error(node, $"field 'period' must be daily or monthly (got {YamlFields.Describe(node)})");
                return null;
        }
    }

    private static IReadOnlyList<double> ParseThresholds(YamlFields fields, out bool ok)
    {
        ok = true;
        if (fields.Get("alertThresholds", required: false) is null)
        {
            return [0.5, 0.8, 0.95];
        }

        var list = fields.Sequence("alertThresholds", required: false);
        if (list is null)
        {
            ok = false;
            return [];
        }

        var thresholds = new List<double>(list.Children.Count);
        foreach (var item in list.Children)
        {
            var value = fields.Number(item, "field 'alertThresholds'", t => t > 0 && t <= 1, "must list fractions of the budget in (0, 1]");
            if (value is null)
            {
                ok = false;
            }
            else if (thresholds.Count > 0 && value <= thresholds[^1])
            {
                fields.Error(item, $"field 'alertThresholds' must be in ascending order without repeats (got {value.Value.ToString(CultureInfo.InvariantCulture)} after {thresholds[^1].ToString(CultureInfo.InvariantCulture)})");
                ok = false;
            }
            else
            {
                thresholds.Add(value.Value);
            }
        }

        return thresholds;
    }

    private List<Located<string>>? ParseAllowedTasks(YamlFields fields)
    {
        var list = fields.Sequence("allowedTasks", required: true);
        if (list is null)
        {
            return null;
        }

        var allowed = new List<Located<string>>(list.Children.Count);
        var ok = true;
        foreach (var item in list.Children)
        {
            if (item is YamlScalarNode { Value: { Length: > 0 } name } && !YamlFields.IsNull(item))
            {
                allowed.Add(new Located<string>(name, file, PolicyDiagnostics.LineOf(item)));
            }
            else
            {
                fields.Error(item, $"field 'allowedTasks' must list task type names or '{TenantPolicy.AnyTaskType}' (got {YamlFields.Describe(item)})");
                ok = false;
            }
        }

        return ok ? allowed : null;
    }

    private Dictionary<string, decimal> ParseUsers(YamlFields tenant, decimal? tenantBudget, out bool ok)
    {
        ok = true;
        var users = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var node = tenant.Get("users", required: false);
        if (node is null)
        {
            return users;
        }

        if (node is not YamlMappingNode mapping)
        {
            tenant.Error(node, $"field 'users' must map user ids to their fields (got {YamlFields.Describe(node)})");
            ok = false;
            return users;
        }

        foreach (var (key, value) in mapping.Children)
        {
            if (key is not YamlScalarNode { Value: { } userId } || !PolicyNames.AccountId().IsMatch(userId))
            {
                tenant.Error(key, "field 'users': user ids must be letters, digits and . _ @ + -, starting with a letter or digit");
                ok = false;
                continue;
            }

            var fields = YamlFields.Open(diagnostics, file, value, $"{tenant.Context}: user '{userId}'", UserFields, owner: key);
            var budget = fields?.Credits("budget", required: true);
            if (budget is null)
            {
                ok = false;
                continue;
            }

            if (tenantBudget is { } limit && budget > limit)
            {
                fields!.Error(fields.Get("budget", required: true)!, $"field 'budget' must not exceed the tenant's budget of {limit.ToString(CultureInfo.InvariantCulture)} (got {budget.Value.ToString(CultureInfo.InvariantCulture)})");
                ok = false;
                continue;
            }

            users[userId] = budget.Value;
        }

        return users;
    }

    private void ParsePricing(YamlNode node, YamlNode key)
    {
        var fields = YamlFields.Open(diagnostics, file, node, "pricing", PricingFields, owner: key);
        if (fields is null)
        {
            return;
        }

        var perTflop = fields.Credits("creditsPerTflop", required: true);
        var minimum = fields.Get("minimumChargePerImage", required: false) is null ? 0m : fields.Credits("minimumChargePerImage", required: false);
        if (perTflop is not null && minimum is not null)
        {
            var pricing = new PricingPolicy { CreditsPerTflop = perTflop.Value, MinimumChargePerImage = minimum.Value };
            result.Pricing.Add(new Located<PricingPolicy>(pricing, file, PolicyDiagnostics.LineOf(key)));
        }
    }

    // YamlException messages start with "(Line: 3, Col: 1, Idx: 20) - (Line: ...): "; the line is reported separately.
    private static string WithoutMark(string message)
    {
        var cut = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith('(') && cut > 0 ? message[(cut + 3)..] : message;
    }
}
