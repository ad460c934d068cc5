using Calltape.Capture;
using Calltape.Capture.Decoding;
using Calltape.Capture.Model;
using Calltape.Symbols;

namespace Calltape.Analyzer.Binaries;

/// <summary>Interface dynamic-type names for decoding, from each traced binary found on disk with its recorded build-id.</summary>
internal static class DynamicTypes
{
    /// <summary>A lookup by binary index that opens a binary (ELF and DWARF) only when first asked, and at most once.</summary>
    public static Func<int, IDynamicTypes?> For(SessionHeader header, string? binariesDir)
    {
        var check = new BinaryCheck(binariesDir);
        var cache = new Dictionary<int, IDynamicTypes?>();
        return index =>
        {
            if (cache.TryGetValue(index, out var known)) return known;
            IDynamicTypes? types = null;
            if (index >= 0 && index < header.Binaries.Count)
            {
                var s = check.Check(header.Binaries[index]);
                if (s.State is BinaryState.Verified or BinaryState.Unverifiable && s.File is not null)
                {
                    try
                    {
                        var elf = ElfImage.Open(s.File);
                        if (elf.IsGo) types = GoDynamicTypes.Open(elf, DwarfReader.Load(elf));
                    }
                    catch (Exception e) when (e is CalltapeException or IOException or InvalidDataException)
                    {
                        // An unreadable binary leaves interfaces' dynamic types unknown; BinaryCheck already warned.
                    }
                }
            }
            return cache[index] = types;
        };
    }

    /// <summary>True when a probe has an interface anywhere in its parameters' types (so decoding needs names).</summary>
    public static bool Needed(ProbeSpec probe) => probe.Params.Any(p => p.Type.ContainsInterface());
}
