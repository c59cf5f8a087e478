using System.Diagnostics.CodeAnalysis;
using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>
/// Submodules keyed by patch size, registered under the key (<c>flexi.4.…</c>, <c>lora.4.…</c>). Unlike
/// TorchSharp's ModuleDict, members added after the parent was built still appear in state_dict, which
/// conversion needs: it adds a weak patch size to a model that is already loaded.
/// </summary>
public sealed class ModuleGroup<T>(string name) : nn.Module(name) where T : nn.Module
{
    private readonly Dictionary<int, T> members = new();

    /// <summary>Adds and registers a member.</summary>
    public void Add(int key, T module)
    {
        members.Add(key, module);
        register_module(key.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
    }

    /// <summary>The members by key.</summary>
    public IReadOnlyDictionary<int, T> Members => members;

    /// <summary>Looks a member up.</summary>
    public bool TryGet(int key, [MaybeNullWhen(false)] out T module) => members.TryGetValue(key, out module);
}
