namespace Calltape.Symbols; internal static class Placeholder { }
