using Calltape.Capture.Model;

namespace Calltape.Symbols.Planning;

/// <summary>Go ABI0 (Go assembly, Go &lt; 1.17): every argument on the stack, laid out like struct fields from the
/// first slot above the return address (abi-internal.md, "ABI0"; FACTS.md "Go specifics").</summary>
internal static class GoStackAbi
{
    public static ArgLocation[] Assign(IReadOnlyList<TypeDesc> args)
    {
        var result = new ArgLocation[args.Count];
        long offset = 0;
        for (var i = 0; i < args.Count; i++)
        {
            offset = TypeLayout.AlignUp(offset, TypeLayout.Align(args[i]));
            result[i] = ArgLocation.Stack(offset);
            offset += args[i].Size;
        }
        return result;
    }
}
