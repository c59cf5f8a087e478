using FlexiDiT.Governance.Policies;

namespace FlexiDiT.Extensions.AI;

/// <summary>One request as the governed run needs it.</summary>
/// <param name="Policy">What the policy decides on.</param>
/// <param name="Labels">One class per image (class packs; empty for a prompt).</param>
/// <param name="Seed">Seed of the noise.</param>
/// <param name="Steps">The request's step override, if any.</param>
/// <param name="Guidance">The request's guidance override, if any.</param>
/// <param name="Prompt">The prompt of a text-to-image pack (null for class packs).</param>
internal sealed record GovernedRequest(PolicyRequest Policy, long[] Labels, long Seed, int? Steps, double? Guidance, string? Prompt = null);
