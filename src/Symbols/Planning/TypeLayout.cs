using Calltape.Capture.Model;

namespace Calltape.Symbols.Planning;

/// <summary>Size and alignment rules shared by the ABI assigners.</summary>
internal static class TypeLayout
{
    /// <summary>
    /// Alignment of a type on amd64. Go: the gc compiler's "Size and alignment guarantees" (Go spec) with
    /// cmd/compile/internal/types/size.go (scalars align to their size, strings/slices/interfaces to a pointer,
    /// structs and arrays to their strictest member). C: the same rules per SysV psABI §3.1.2, for the types we model.
    /// </summary>
    public static int Align(TypeDesc t) => t.Kind switch
    {
        TypeKind.Bool or TypeKind.Int or TypeKind.Uint or TypeKind.Float => Math.Clamp(PowerOfTwoAtMost(t.Size), 1, 8),
        TypeKind.Pointer or TypeKind.Map or TypeKind.Chan or TypeKind.Func
            or TypeKind.String or TypeKind.Slice or TypeKind.Interface => 8,
        TypeKind.Array => t.Elem is null ? 1 : Align(t.Elem),
        TypeKind.Struct => t.Fields.Count == 0 ? 1 : t.Fields.Max(f => Align(f.Type)),
        _ => t.Size >= 8 ? 8 : Math.Max(1, PowerOfTwoAtMost(t.Size)),
    };

    public static long AlignUp(long offset, int align) => (offset + align - 1) / align * align;

    /// <summary>Kinds that travel in one integer register and decode from one eightbyte.</summary>
    public static bool IsIntScalar(TypeDesc t) =>
        t.Kind is TypeKind.Bool or TypeKind.Int or TypeKind.Uint or TypeKind.Pointer
            or TypeKind.Map or TypeKind.Chan or TypeKind.Func && t.Size <= 8;

    private static int PowerOfTwoAtMost(int n)
    {
        var p = 1;
        while (p * 2 <= n) p *= 2;
        return p;
    }
}
