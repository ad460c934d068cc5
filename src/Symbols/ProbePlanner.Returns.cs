using Calltape.Capture.Model;
using Calltape.Symbols.Planning;

namespace Calltape.Symbols;

/// <summary>Exit probes (--returns): where a function's returns are probed and how its results are rebuilt.</summary>
public static partial class ProbePlanner
{
    /// <summary>
    /// The entry probe of a function whose returns are also probed. Go register-ABI entries keep R14, the current g
    /// (abi-internal.md, amd64: "R14: current goroutine"), because Go calls are paired by goroutine: a goroutine can move
    /// between threads inside a call, so the thread id cannot pair them.
    /// </summary>
    public static ProbeSpec WithGoroutine(ProbeSpec entry)
    {
        if (entry.Abi != AbiKind.GoRegs || entry.Plan.IndexOf(Reg.R14) >= 0) return entry;
        var regs = entry.Plan.Registers.Append(Reg.R14).Distinct().Order().ToArray();
        return entry with { Plan = entry.Plan with { Registers = regs } };
    }

    /// <summary>
    /// The exit probes of an entry probe, numbered from <paramref name="firstId"/>, and a note when there are none:
    /// Go register ABI, one uprobe per RET; SysV, one uretprobe. Go ABI0 and functions without DWARF get none, because
    /// neither the goroutine (g is in R14 only under the register ABI) nor the results' locations are known.
    /// </summary>
    /// <param name="goidOffset">Offset of goid in runtime.g (DwarfReader.GoidOffset), or null to leave goid out.</param>
    public static (IReadOnlyList<ProbeSpec> Exits, string? Note) PlanExits(int firstId, ProbeSpec entry, ElfImage elf, FunctionSymbol fn,
        FunctionInfo? info, PlanOptions options, int? goidOffset)
    {
        if (entry.Abi == AbiKind.GoRegs && info is not null) return GoExits(firstId, entry, elf, fn, info, options, goidOffset);
        if (entry.Abi == AbiKind.SysV && info is not null) return ([SysVExit(firstId, entry, info, options)], null);
        if (entry.Abi == AbiKind.Raw && !elf.IsGo)
        {
            // No DWARF: the raw return register, as the entry keeps raw argument registers.
            var r0 = new ParamSpec("r0", new TypeDesc("uint64", TypeKind.Uint, 8), [Source.Of(Reg.Rax)]);
            return ([Exit(firstId, entry, entry.ProbeOffset, entry.FileOffset, CapturePlan.RawRegisters([Reg.Rax]), [r0]) with { Uretprobe = true }], null);
        }
        return ([], $"returns not probed ({(entry.Abi == AbiKind.GoStack ? "Go ABI0" : "no debug info")})");
    }

    private static (IReadOnlyList<ProbeSpec>, string?) GoExits(int firstId, ProbeSpec entry, ElfImage elf, FunctionSymbol fn,
        FunctionInfo info, PlanOptions options, int? goidOffset)
    {
        if (fn.Size == 0) return ([], "returns not probed (the symbol has no size to disassemble)");
        var rets = GoReturns.FindRetOffsets(elf.ReadCode(fn.Address, (int)Math.Min(fn.Size, int.MaxValue)), fn.Address);
        if (rets.Count == 0) return ([], "returns not probed (no RET: the function never returns or ends in a tail call)");

        var derefs = new List<DerefSpec>();
        var goid = -1;
        if (goidOffset is { } off)
        {
            // g.goid, 8 bytes at R14 + its offset (runtime/runtime2.go, type g).
            derefs.Add(new DerefSpec(Source.Of(Reg.R14), Source.None, 8, Offset: off));
            goid = 0;
        }
        var results = info.Params.Where(p => p.IsReturn).ToArray();
        var locations = GoRegisterAbi.Assign(results.Select(p => p.Type).ToArray());
        // Stack-assigned results follow the stack-assigned arguments, pointer-aligned (abi-internal.md, "Function call
        // argument and result passing"); at the RET, SP points at the return address just below them.
        var argLocations = GoRegisterAbi.Assign(info.Params.Where(p => !p.IsReturn).Select(p => p.Type).ToArray());
        var args = info.Params.Where(p => !p.IsReturn).ToArray();
        long argStack = 0;
        for (var i = 0; i < args.Length; i++)
            if (argLocations[i].OnStack) argStack = Math.Max(argStack, argLocations[i].StackOffset + args[i].Type.Size);
        var resultBase = TypeLayout.AlignUp(argStack, 8);

        var values = new ValuePlanner(derefs, options, cStrings: false);
        var pending = new (ParamSpec, ValuePlanner.Node?)[results.Length];
        for (var i = 0; i < results.Length; i++)
        {
            var loc = locations[i].OnStack ? ArgLocation.Stack(resultBase + locations[i].StackOffset) : locations[i];
            pending[i] = Capture(ResultName(results[i].Name, i), results[i].Type, loc, 0, derefs, values, options, AbiKind.GoRegs);
        }
        var specs = Complete(pending, values);
        var plan = PlanOf(specs, derefs, [Reg.R14, Reg.Rsp, .. BiasRegister(elf, specs)]) with { Image = elf.ImageBounds };
        var exits = rets.Select((r, k) => Exit(firstId + k, entry, (ulong)r, elf.FileOffsetOf(fn.Address + (ulong)r), plan, specs)
            with { GoidDeref = goid }).ToArray();
        return (exits, null);
    }

    private static ProbeSpec SysVExit(int id, ProbeSpec entry, FunctionInfo info, PlanOptions options)
    {
        var derefs = new List<DerefSpec>();
        var result = info.Params.FirstOrDefault(p => p.IsReturn);
        ParamSpec[] specs = [];
        if (result is not null && result.Type.Size > 0)
        {
            // psABI §3.2.3, "Returning of Values": INTEGER class in RAX then RDX, SSE in XMM0 (unreadable from BPF),
            // MEMORY class through the caller's buffer, whose address comes back in RAX: copied from there.
            var t = result.Type;
            var name = ResultName(result.Name, 0);
            var values = new ValuePlanner(derefs, options, cStrings: true);
            ValuePlanner.Node? node = null;
            ParamSpec spec;
            if (result.IncompleteType) spec = new ParamSpec(name, t, [], NotCaptured: $"type {t.Name} is only declared in the DWARF: its size is unknown");
            else if (RustAbi.IsRust(info)) (spec, node) = RustResult(name, t, derefs, values, options);
            else if (t.Kind == TypeKind.Float) spec = new ParamSpec(name, t, [], NotCaptured: "float register");
            // A C++ class non-trivial for calls (a std::string too) is returned in memory whatever its size (Itanium C++ ABI §3.1.3.1).
            else if (t.Kind is TypeKind.Struct or TypeKind.Array or TypeKind.String && (result.PassedByReference || SysVAbi.ReturnsInMemory(t)))
            {
                if (t.Size > MaxDerefLength) spec = new ParamSpec(name, t, [], NotCaptured: $"returned in memory beyond {MaxDerefLength} bytes");
                else
                {
                    derefs.Add(new DerefSpec(Source.Of(Reg.Rax), Source.None, t.Size));
                    spec = new ParamSpec(name, t, [Source.Of(Reg.Rax)]);
                    node = values.InMemory(t, Source.InDeref(0, 0));
                }
            }
            else if (t.Kind is TypeKind.Struct or TypeKind.Array)
            {
                spec = new ParamSpec(name, t, [Source.Of(Reg.Rax), Source.Of(Reg.Rdx)]);
                node = values.InSysVRegisters(t, [Reg.Rax, Reg.Rdx]);
            }
            else if (t.Size > 16 || SysVAbi.ReturnsInMemory(t)) spec = new ParamSpec(name, t, [], NotCaptured: "returned in memory");
            else spec = CaptureScalar(name, t, ArgLocation.InRegisters(t.Size > 8 ? [Reg.Rax, Reg.Rdx] : [Reg.Rax], 0), 0, derefs, options, cStrings: true);
            specs = Complete([(spec, node)], values);
        }
        var plan = PlanOf(specs, derefs, []);
        // The kernel takes the return address at the function's entry, so the uretprobe goes where the entry probe is.
        return Exit(id, entry, entry.ProbeOffset, entry.FileOffset, plan, specs) with { Uretprobe = true };
    }

    /// <summary>A Rust result: RAX, or RAX:RDX for a fat pointer, a ScalarPair or an i128, or the caller's buffer at RAX
    /// for an aggregate over 8 bytes (Planning/RustAbi.cs).</summary>
    private static (ParamSpec, ValuePlanner.Node?) RustResult(string name, TypeDesc t, List<DerefSpec> derefs, ValuePlanner values,
        PlanOptions options)
    {
        var (type, regs, why) = RustAbi.Result(t);
        if (RustAbi.ReturnsInMemory(t)) return NativeValues.ReturnedInMemory(name, t, derefs, values, options);
        if (regs is null) return (new ParamSpec(name, t, [], NotCaptured: why), null);
        if (type.Kind is TypeKind.Struct or TypeKind.Option or TypeKind.Enum && type.Fields.Count > 0)
            return NativeValues.StructInRegisters(name, type, regs, derefs, options);
        // A reference, or an Option of one or of a Box, in RAX: its target, as for an argument.
        if (regs.Count == 1 && NativeValues.FollowsReference(type)) return (new ParamSpec(name, type, [Source.Of(regs[0])]), values.InSysVRegisters(type, regs));
        if (type.Kind is TypeKind.Struct or TypeKind.Array) return (new ParamSpec(name, t, [], NotCaptured: $"type {t.Name} is not decoded yet"), null);
        return (CaptureScalar(name, type, ArgLocation.InRegisters(regs, 0), 0, derefs, options), null);
    }

    private static ProbeSpec Exit(int id, ProbeSpec entry, ulong probeOffset, ulong fileOffset, CapturePlan plan, IReadOnlyList<ParamSpec> results)
    {
        var missing = results.Where(p => p.NotCaptured is not null).Select(p => $"{p.Name} ({p.NotCaptured})").ToArray();
        return new ProbeSpec(id, entry.Function, entry.Binary, entry.Address, probeOffset, fileOffset, entry.Abi, plan, results)
        {
            Kind = ProbeKind.Exit,
            EntryProbe = entry.Id,
            Note = missing.Length == 0 ? null : "not captured: " + string.Join(", ", missing),
        };
    }

    private static CapturePlan PlanOf(IReadOnlyList<ParamSpec> specs, List<DerefSpec> derefs, Reg[] extra)
    {
        var registers = specs.SelectMany(p => p.Pieces)
            .Concat(derefs.SelectMany(d => new[] { d.Ptr, d.Len }))
            .Where(s => s.Kind == SourceKind.Register).Select(s => (Reg)s.Index)
            .Concat(extra).Distinct().Order().ToArray();
        var stackEnd = specs.SelectMany(p => p.Pieces).Concat(derefs.SelectMany(d => new[] { d.Ptr, d.Len }))
            .Where(s => s.Kind == SourceKind.Stack).Select(s => s.Index + 8).DefaultIfEmpty(0).Max();
        return new CapturePlan(registers, (int)TypeLayout.AlignUp(stackEnd, 8), derefs);
    }

    /// <summary>Go names unnamed results ~r0, ~r1 (cmd/compile/internal/typecheck); SQL and JSON get r0, r1.</summary>
    public static string ResultName(string name, int index)
    {
        var n = name.TrimStart('~');
        return string.IsNullOrEmpty(n) || n == "_" ? $"r{index}" : n;
    }
}
