namespace Calltape.Symbols;

/// <summary>A function symbol (STT_FUNC) from .symtab or .dynsym: its name, virtual address and size in bytes.</summary>
public sealed record FunctionSymbol(string Name, ulong Address, ulong Size);
