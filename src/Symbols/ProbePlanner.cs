using System.Text.RegularExpressions;
using Calltape.Capture.Model;
using Calltape.Symbols.Planning;

namespace Calltape.Symbols;

/// <summary>Turns a function symbol and its DWARF description into a ProbeSpec: where to attach and what to copy.</summary>
/// <remarks>Pure apart from reading the function's first bytes from the ELF file; no kernel, no root.</remarks>
public static partial class ProbePlanner
{
    public const int MaxDerefs = 8;          // struct ct_plan holds 8 derefs (bpf/calltape.h, CT_MAX_DEREFS)
    public const int MaxStackWindow = 256;   // the BPF program copies at most 256 bytes of stack (CT_MAX_STACK)
    public const int MaxDerefLength = 1024;  // bytes BPF copies per dereference at most (CT_MAX_DEREF_LEN)
    private const int PrologueScanBytes = 64; // the Go stack check is within the first few instructions

    public static ProbeSpec Plan(int id, int binaryIndex, ElfImage elf, FunctionSymbol fn, FunctionInfo? info, PlanOptions options)
    {
        var (probeOffset, stackAdjust) = elf.IsGo ? FindGoProbePoint(elf, fn) : (0, 0);
        var fileOffset = elf.FileOffsetOf(fn.Address + (ulong)probeOffset);
        var abi = ChooseAbi(elf, info, fn);

        if (info is null || abi == AbiKind.Raw)
        {
            var regs = elf.IsGo ? Abis.GoIntArgs : Abis.SysVIntArgs;
            var raw = regs.Select((r, i) => new ParamSpec($"arg{i}", new TypeDesc("uint64", TypeKind.Uint, 8), [Source.Of(r)])).ToArray();
            return new ProbeSpec(id, fn.Name, binaryIndex, fn.Address, (ulong)probeOffset, fileOffset, AbiKind.Raw,
                CapturePlan.RawRegisters(regs), raw) { Note = "no debug info: raw registers" };
        }

        var args = info.Params.Where(p => !p.IsReturn).ToArray();
        // A C++ class that is non-trivial for calls travels as a pointer to a temporary (Planning/CxxAbi.cs).
        var types = args.Select(p => p.PassedByReference ? CxxAbi.HiddenPointer(p.Type) : p.Type).ToArray();
        // rustc's own ABI differs from SysV for fat pointers, aggregates and zero-sized types (Planning/RustAbi.cs).
        var rust = abi == AbiKind.SysV && RustAbi.IsRust(info) ? RustAbi.Assign(types, info.Params.FirstOrDefault(p => p.IsReturn)?.Type) : null;
        var locations = abi switch
        {
            AbiKind.GoRegs => GoRegisterAbi.Assign(types),
            AbiKind.GoStack => GoStackAbi.Assign(types),
            _ when rust is not null => rust.Select(r => r.Location ?? ArgLocation.InRegisters([], 0)).ToArray(),
            _ => SysVAbi.Assign(types, info.Params.FirstOrDefault(p => p.IsReturn) is { } ret && (ret.PassedByReference || SysVAbi.ReturnsInMemory(ret.Type))),
        };

        var derefs = new List<DerefSpec>();
        var values = new ValuePlanner(derefs, options, cStrings: abi == AbiKind.SysV);
        var pending = new (ParamSpec, ValuePlanner.Node?)[args.Length];
        var unplaced = Unplaced(args, info.Params.FirstOrDefault(p => p.IsReturn));
        for (var i = 0; i < args.Length; i++)
        {
            var name = string.IsNullOrEmpty(args[i].Name) ? $"arg{i}" : args[i].Name;
            var rustArg = rust?[i];
            pending[i] = unplaced[i] is { } lost ? (new ParamSpec(name, args[i].Type, [], NotCaptured: lost), null)
                : rustArg?.NotCaptured is { } why ? (new ParamSpec(name, args[i].Type, [], NotCaptured: why), null)
                : NativeValues.TryPlan(name, args[i], rustArg, locations[i], stackAdjust, derefs, values, options)
                  ?? Capture(name, rustArg?.Type ?? types[i], locations[i], stackAdjust, derefs, values, options, abi);
        }
        var specs = Complete(pending, values);

        var registers = specs.SelectMany(p => p.Pieces)
            .Concat(derefs.SelectMany(d => new[] { d.Ptr, d.Len }))
            .Where(s => s.Kind == SourceKind.Register).Select(s => (Reg)s.Index)
            .Concat(BiasRegister(elf, specs)).Distinct().Order().ToArray();
        var stackEnd = specs.SelectMany(p => p.Pieces).Concat(derefs.SelectMany(d => new[] { d.Ptr, d.Len }))
            .Where(s => s.Kind == SourceKind.Stack).Select(s => s.Index + 8).DefaultIfEmpty(0).Max();
        var plan = new CapturePlan(registers, (int)TypeLayout.AlignUp(stackEnd, 8), derefs) { Image = elf.ImageBounds };

        var missing = specs.Where(p => p.NotCaptured is not null).Select(p => $"{p.Name} ({p.NotCaptured})").ToArray();
        return new ProbeSpec(id, fn.Name, binaryIndex, fn.Address, (ulong)probeOffset, fileOffset, abi, plan, specs)
        {
            Note = missing.Length == 0 ? null : "not captured: " + string.Join(", ", missing),
        };
    }

    /// <summary>
    /// RIP, when interface values must be named in a position-independent binary: their type words are run-time
    /// addresses, and RIP at a uprobe (the probed instruction's address) minus its link-time address is the load bias
    /// (ProbeSpec.LoadBias). Only for probes that fire at the planned address: not for uretprobes, which see the
    /// return address. 8 bytes per event of those probes; other captures are unchanged.
    /// </summary>
    internal static Reg[] BiasRegister(ElfImage elf, IEnumerable<ParamSpec> specs) =>
        elf.IsPositionIndependent && specs.Any(p => p.Type.ContainsInterface()) ? [Reg.Rip] : [];

    /// <summary>
    /// Why each argument cannot be placed, or null: a C++ class the DWARF only declares (Planning/CxxDeclarations.cs)
    /// has no known size or convention, so by value it and every later argument, and as the result (which may take RDI
    /// for its hidden pointer) every argument, are somewhere the planner cannot say.
    /// </summary>
    private static string?[] Unplaced(ParamInfo[] args, ParamInfo? result)
    {
        var why = new string?[args.Length];
        string? lost = result is { IncompleteType: true } ? $"the result type {result.Type.Name} is only declared in the DWARF: whether it takes RDI is unknown" : null;
        for (var i = 0; i < args.Length; i++)
        {
            if (lost is null && args[i].IncompleteType)
            {
                why[i] = $"type {args[i].Type.Name} is only declared in the DWARF: its size and passing are unknown";
                lost = $"follows {args[i].Type.Name}, whose size is unknown";
                continue;
            }
            why[i] = lost;
        }
        return why;
    }

    /// <summary>Spends the dereference budget on the value trees, then freezes them into their params.</summary>
    private static ParamSpec[] Complete((ParamSpec Spec, ValuePlanner.Node? Node)[] pending, ValuePlanner values)
    {
        values.Finish();
        return pending.Select(x => x.Node is null ? x.Spec : x.Spec with { Value = ValuePlanner.Freeze(x.Node) }).ToArray();
    }

    /// <summary>
    /// The pieces (and string deref) that rebuild one parameter from where the ABI put it; composite values get a tree
    /// (<see cref="ValuePlanner"/>) whose dereferences are planned when the caller completes it.
    /// </summary>
    private static (ParamSpec, ValuePlanner.Node?) Capture(string name, TypeDesc type, ArgLocation loc, int stackAdjust,
        List<DerefSpec> derefs, ValuePlanner values, PlanOptions options, AbiKind abi)
    {
        var go = abi is AbiKind.GoRegs or AbiKind.GoStack;
        if (IsComposite(type, go))
        {
            if (!loc.OnStack)
            {
                var node = abi == AbiKind.SysV ? values.InSysVRegisters(type, loc.IntRegs) : values.InGoRegisters(type, loc.IntRegs);
                return (new ParamSpec(name, type, loc.IntRegs.Select(Source.Of).ToArray()), node);
            }
            var at = (int)Math.Min(int.MaxValue, stackAdjust + 8 + loc.StackOffset);
            if (at + type.Size > MaxStackWindow)
                return (new ParamSpec(name, type, [], NotCaptured: $"beyond the {MaxStackWindow}-byte stack window"), null);
            // Every stack word the value covers: the plan's window, and what redaction zeroes.
            var words = Enumerable.Range(0, (int)((TypeLayout.AlignUp(at + Math.Max(type.Size, 1), 8) - at + 7) / 8)).Select(k => Source.StackAt(at + 8 * k)).ToArray();
            return (new ParamSpec(name, type, words), values.InMemory(type, Source.StackAt(at)));
        }
        return (CaptureScalar(name, type, loc, stackAdjust, derefs, options, cStrings: abi == AbiKind.SysV), null);
    }

    /// <summary>The pieces (and string deref) that rebuild a scalar or string parameter from where the ABI put it.</summary>
    /// <param name="cStrings">SysV: a char* is a NUL-terminated string (one piece, the pointer).</param>
    private static ParamSpec CaptureScalar(string name, TypeDesc type, ArgLocation loc, int stackAdjust, List<DerefSpec> derefs, PlanOptions options,
        bool cStrings = false)
    {
        var notDecoded = $"type {type.Name} is not decoded yet";
        var cString = cStrings && CString.Is(type);
        if (cString) type = CString.AsString(type);
        Source[] pieces;
        if (!loc.OnStack)
        {
            if (type.Kind == TypeKind.Float) return new ParamSpec(name, type, [], NotCaptured: "float register");
            if ((TypeLayout.IsIntScalar(type) || cString) && loc.IntRegs.Count == 1) pieces = [Source.Of(loc.IntRegs[0])];
            else if (type.Kind == TypeKind.String && loc.IntRegs.Count == 2) pieces = [Source.Of(loc.IntRegs[0]), Source.Of(loc.IntRegs[1])];
            else return new ParamSpec(name, type, [], NotCaptured: notDecoded);
        }
        else
        {
            // At entry SP points at the return address, so argument byte k is at SP+8+k; pushes done before the
            // probe point move SP down by stackAdjust (FACTS.md "Go specifics").
            var at = (int)Math.Min(int.MaxValue, stackAdjust + 8 + loc.StackOffset);
            if (TypeLayout.IsIntScalar(type) || cString) pieces = [Source.StackAt(at)];
            else if (type.Kind == TypeKind.String) pieces = [Source.StackAt(at), Source.StackAt(at + 8)];
            else if (type.Kind == TypeKind.Float && type.Size is 4 or 8 && at + 8 <= MaxStackWindow)
                return new ParamSpec(name, type, [Source.StackAt(at)]) { Value = ValueSpec.Leaf(Source.StackAt(at)) }; // stack floats are exact
            else return new ParamSpec(name, type, [], NotCaptured: notDecoded);
            if (pieces[^1].Index + 8 > MaxStackWindow)
                return new ParamSpec(name, type, [], NotCaptured: $"beyond the {MaxStackWindow}-byte stack window");
        }

        if (type.Kind != TypeKind.String) return new ParamSpec(name, type, pieces);
        if (derefs.Count >= MaxDerefs) return new ParamSpec(name, type, [], NotCaptured: $"deref limit ({MaxDerefs})");
        derefs.Add(cString ? CString.Deref(pieces[0], options.StringMax) : new DerefSpec(pieces[0], pieces[1], Math.Clamp(options.StringMax, 0, MaxDerefLength)));
        return new ParamSpec(name, type, pieces, derefs.Count - 1);
    }

    /// <summary>Values planned as a tree: aggregates, floats that are on the stack, and (Go) pointers, maps and channels to follow.</summary>
    private static bool IsComposite(TypeDesc t, bool go) => t.Kind switch
    {
        TypeKind.Struct or TypeKind.Array or TypeKind.Slice or TypeKind.Interface => true,
        TypeKind.Map or TypeKind.Chan => go,
        TypeKind.Pointer => t.Elem is { Kind: TypeKind.Struct, Fields.Count: > 0 } || (go && t.Elem is { Size: > 0, Kind: not TypeKind.Unknown })
            || NativeValues.FollowsReference(t),
        _ => false,
    };

    private static (int Offset, int StackAdjust) FindGoProbePoint(ElfImage elf, FunctionSymbol fn)
    {
        var length = fn.Size == 0 ? PrologueScanBytes : (int)Math.Min(fn.Size, PrologueScanBytes);
        return GoPrologue.FindProbePoint(elf.ReadCode(fn.Address, length), fn.Address);
    }

    /// <summary>
    /// Go's register ABI is on for amd64 from Go 1.17; the compiler's DW_AT_producer says "Go cmd/compile go1.N.M; regabi"
    /// (cmd/compile/internal/dwarfgen records GOEXPERIMENT flags there). No DWARF: only raw registers.
    /// Go assembly functions use ABI0 (stack). Measured with go tool nm and readelf on Go 1.19 and 1.26
    /// (tests/fixtures/go/asmabi): .symtab names the text symbol "main.addAsm.abi0", while DWARF has "main.addAsm"
    /// in the package's compile unit (producer "...; regabi", so the producer cannot tell) with no parameters, and
    /// .gopclntab has "main.addAsm" with funcFlag_ASM. Runtime assembly declared &lt;ABIInternal&gt; has no suffix; a
    /// stripped binary cannot tell it from ABI0 by name, so its funcFlag_ASM functions are taken as ABI0.
    /// </summary>
    internal static AbiKind ChooseAbi(ElfImage elf, FunctionInfo? info, FunctionSymbol? fn = null)
    {
        if (info is null) return AbiKind.Raw;
        if (!elf.IsGo) return AbiKind.SysV;
        if (fn is not null && (fn.Name.EndsWith(".abi0", StringComparison.Ordinal) || fn.GoAssembly)) return AbiKind.GoStack;
        var producer = info.Producer ?? "";
        if (producer.Contains("regabi", StringComparison.Ordinal)) return AbiKind.GoRegs;
        // Without DWARF (a stripped binary and a -p signature) the producer is unknown: .go.buildinfo still names the toolchain.
        return AbiOfVersion(producer.Length > 0 ? producer : elf.GoVersion);
    }

    /// <summary>Go functions use the register ABI from Go 1.17 on (amd64), ABI0 before (the Go internal ABI spec);
    /// an unknown version is taken as current.</summary>
    internal static AbiKind AbiOfVersion(string? version)
    {
        var m = GoVersion().Match(version ?? "");
        return m.Success && int.Parse(m.Groups[1].Value) == 1 && int.Parse(m.Groups[2].Value) < 17 ? AbiKind.GoStack : AbiKind.GoRegs;
    }

    [GeneratedRegex(@"go(\d+)\.(\d+)")]
    private static partial Regex GoVersion();
}
