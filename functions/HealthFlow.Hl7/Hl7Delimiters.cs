namespace HealthFlow.Hl7;

/// <summary>
/// The separators a message declares in MSH-1 (field) and MSH-2 (component, repetition, escape,
/// subcomponent and, from v2.7, truncation).
/// </summary>
/// <remarks>
/// Invariant for every instance the parser produces: all characters are printable, non-alphanumeric
/// ASCII and distinct from one another. <see cref="Standard"/> (<c>|^~\&amp;</c>) is what HealthFlow
/// writes in its own ACKs, whatever the sender used.
/// </remarks>
public readonly record struct Hl7Delimiters(char Field, char Component, char Repetition, char Escape, char Subcomponent, char? Truncation)
{
    /// <summary>The recommended HL7 delimiters <c>|^~\&amp;</c> without a truncation character.</summary>
    public static Hl7Delimiters Standard { get; } = new('|', '^', '~', '\\', '&', null);

    /// <summary>MSH-2 as the sender wrote it (4 or 5 characters).</summary>
    public string EncodingCharacters => Truncation is { } truncation
        ? string.Concat(Component, Repetition, Escape, Subcomponent, truncation)
        : string.Concat(Component, Repetition, Escape, Subcomponent);

    /// <summary>A delimiter must be visible punctuation: letters, digits, space and control characters would be ambiguous with data.</summary>
    internal static bool IsAcceptableDelimiter(char c) => c > ' ' && c < (char)0x7F && !char.IsAsciiLetterOrDigit(c);

    internal bool IsDelimiter(char c) =>
        c == Field || c == Component || c == Repetition || c == Escape || c == Subcomponent;
}
