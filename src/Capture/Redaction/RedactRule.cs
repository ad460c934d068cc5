using System.Text.RegularExpressions;

namespace Calltape.Capture.Redaction;

/// <summary>One --redact argument: a parameter name matched exactly, or /REGEX/ searched in the name.</summary>
/// <remarks>
/// Shared by calltape-record (the values are never written) and calltape bundle (they are removed before the bundle
/// leaves the machine), so both tools accept exactly the same syntax (docs/FORMAT.md, "Redaction").
/// </remarks>
public sealed class RedactRule
{
    /// <summary>What a redacted value reads as: the param's not-captured reason.</summary>
    public const string Marker = "redacted";

    private readonly Regex? _regex;

    private RedactRule(string text, string? exact, Regex? regex)
    {
        Text = text;
        Exact = exact;
        _regex = regex;
    }

    /// <summary>The argument as the user wrote it.</summary>
    public string Text { get; }

    /// <summary>The exact name, or null for a regex rule.</summary>
    public string? Exact { get; }

    /// <summary>Parses NAME or /REGEX/; a malformed regex is the user's error, in one line.</summary>
    public static RedactRule Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new CalltapeException("--redact needs a parameter name or /REGEX/");
        if (text.Length >= 2 && text[0] == '/' && text[^1] == '/')
        {
            try
            {
                // Bounded time: a pathological pattern must not hang the recorder's planning.
                return new RedactRule(text, null, new Regex(text[1..^1], RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));
            }
            catch (ArgumentException ex)
            {
                throw new CalltapeException($"--redact {text}: not a valid regular expression ({ex.Message})");
            }
        }
        return new RedactRule(text, text, null);
    }

    public static IReadOnlyList<RedactRule> ParseAll(IEnumerable<string>? texts) => (texts ?? []).Select(Parse).ToArray();

    /// <summary>True when this rule redacts a parameter of this name.</summary>
    public bool Matches(string paramName) => Exact is not null ? Exact == paramName : _regex!.IsMatch(paramName);
}
