namespace Calltape.Symbols;

/// <summary>A function symbol (STT_FUNC) from .symtab or .dynsym: its name, virtual address and size in bytes.</summary>
public sealed record FunctionSymbol(string Name, ulong Address, ulong Size)
{
    /// <summary>.gopclntab marks the function as written in Go assembly (funcFlag_ASM); false when read from .symtab.</summary>
    public bool GoAssembly { get; init; }
}
