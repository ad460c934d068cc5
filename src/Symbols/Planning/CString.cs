using Calltape.Capture.Model;

namespace Calltape.Symbols.Planning;

/// <summary>C strings: a <c>char*</c> or <c>const char*</c> parameter is captured as the NUL-terminated text it points to.</summary>
/// <remarks>
/// Only plain <c>char</c> counts (signed or unsigned by the target's -f[un]signed-char, DW_ATE_signed_char or
/// DW_ATE_unsigned_char): <c>unsigned char*</c> and <c>signed char*</c> are byte buffers by convention and stay pointers.
/// The value travels as the pointer (one INTEGER eightbyte, psABI §3.2.3), so the ABI assignment uses the pointer type.
/// </remarks>
internal static class CString
{
    /// <summary>True for a pointer to char, const char or volatile char.</summary>
    public static bool Is(TypeDesc t) =>
        t.Kind == TypeKind.Pointer && t.Size == 8 && t.Elem is { Size: 1, Kind: TypeKind.Int or TypeKind.Uint } e
        && Unqualified(e.Name) == "char";

    /// <summary>The type as decoded: a String of 8 bytes (the pointer), keeping the declared name.</summary>
    public static TypeDesc AsString(TypeDesc pointer) => new(pointer.Name, TypeKind.String, 8);

    /// <summary>
    /// max_len = stringMax + 2: bpf_probe_read_user_str keeps one byte for its NUL, and one more byte tells a string of
    /// exactly stringMax bytes (complete) from a longer one (truncated at stringMax; ValueDecoder.DecodeCString).
    /// </summary>
    public static DerefSpec Deref(Source pointer, int stringMax) =>
        new(pointer, Source.None, Math.Clamp(stringMax + 2, 2, ProbePlanner.MaxDerefLength), CString: true);

    private static string Unqualified(string name)
    {
        var n = name;
        while (true)
        {
            if (n.StartsWith("const ", StringComparison.Ordinal)) n = n["const ".Length..];
            else if (n.StartsWith("volatile ", StringComparison.Ordinal)) n = n["volatile ".Length..];
            else return n;
        }
    }
}
