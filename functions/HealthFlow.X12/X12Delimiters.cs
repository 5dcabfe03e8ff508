namespace HealthFlow.X12;

/// <summary>
/// The four delimiters of one interchange, read from its ISA segment.
/// </summary>
/// <remarks>
/// Invariant: the element separator, component separator and segment terminator are pairwise distinct,
/// and none of them is a letter or a digit (<see cref="AreUsable"/> checks it; the reader never builds
/// a reader state from delimiters that fail it). The repetition separator may equal none of the others
/// either, but 5010 senders sometimes put 'U' (the 4010 standards id) in ISA11, so it is kept as read.
/// </remarks>
/// <param name="Element">Data element separator: the byte after "ISA".</param>
/// <param name="Repetition">Repetition separator: ISA11.</param>
/// <param name="Component">Component (sub-element) separator: ISA16.</param>
/// <param name="Segment">Segment terminator: the byte after ISA16; '\n' when the sender ends segments with a line break.</param>
public readonly record struct X12Delimiters(byte Element, byte Repetition, byte Component, byte Segment)
{
    /// <summary>The delimiters most senders use: <c>* ^ : ~</c>.</summary>
    public static X12Delimiters Standard { get; } = new((byte)'*', (byte)'^', (byte)':', (byte)'~');

    /// <summary>True when the delimiters can tokenise an interchange unambiguously.</summary>
    public bool AreUsable =>
        Element != Component && Element != Segment && Component != Segment
        && !IsAlphanumeric(Element) && !IsAlphanumeric(Component) && !IsAlphanumeric(Segment)
        && Element != (byte)' ' && Component != (byte)' ';

    internal static bool IsAlphanumeric(byte b) =>
        b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9';
}
