using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace HealthFlow.Tests.Shared.Fuzz;

internal enum ByteEdit
{
    FlipBit,
    Overwrite,
    InsertToken,
    DeleteRange,
    DuplicateRange,
    Truncate,
}

/// <summary>One byte-level edit; positions are taken modulo the input's length when applied.</summary>
internal sealed record ByteMutation(ByteEdit Edit, int Position, int Length, int Pick);

/// <summary>Format-independent mutations: bit flips, junk and hostile tokens, deleted, duplicated and truncated ranges.</summary>
internal static class ByteMutations
{
    /// <summary>Tokens every reader meets sooner or later: bad UTF-8, huge and odd numbers, control bytes.</summary>
    public static readonly byte[][] HostileTokens =
    [
        [0xC3], [0xC3, 0x28], [0xE2, 0x82], [0xF0, 0x9F, 0x92], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFE], [0xFF], [0xC0, 0xAF],
        [0x00], [0x1A], [0x7F], [0xEF, 0xBB, 0xBF],
        .. new[]
        {
            "9999999999999999999999999999999999999999", "-0", "1e400", "-1e-400", "0.00000000000000000000000001", "NaN", "Infinity",
            "79228162514264337593543950336", "-79228162514264337593543950336", "2147483648", "-2147483649", "00000000000000000000000012.50",
            new string('9', 400), "\r\n", "\n", "\t", " ",
        }.Select(Encoding.UTF8.GetBytes),
    ];

    public static readonly Gen<ByteMutation> Mutation =
        from edit in Gen.Elements(Enum.GetValues<ByteEdit>())
        from position in Gen.Choose(0, int.MaxValue)
        from length in Gen.Choose(1, 64)
        from pick in Gen.Choose(0, int.MaxValue)
        select new ByteMutation(edit, position, length, pick);

    /// <summary>Zero to <paramref name="most"/> edits.</summary>
    public static Gen<ByteMutation[]> Some(int most) => Gen.Choose(0, most).SelectMany(count => Mutation.ArrayOf(count));

    public static byte[] Apply(byte[] input, IEnumerable<ByteMutation> mutations, byte[][] formatTokens)
    {
        var bytes = input.ToList();
        foreach (var mutation in mutations)
        {
            if (bytes.Count == 0)
                bytes.Add((byte)(mutation.Pick & 0xFF));
            var at = mutation.Position % bytes.Count;
            var length = Math.Min(mutation.Length, bytes.Count - at);
            switch (mutation.Edit)
            {
                case ByteEdit.FlipBit:
                    bytes[at] ^= (byte)(1 << (mutation.Pick % 8));
                    break;
                case ByteEdit.Overwrite:
                    bytes[at] = (byte)(mutation.Pick & 0xFF);
                    break;
                case ByteEdit.InsertToken:
                    var pick = mutation.Pick % (HostileTokens.Length + formatTokens.Length);
                    bytes.InsertRange(at, pick < HostileTokens.Length ? HostileTokens[pick] : formatTokens[pick - HostileTokens.Length]);
                    break;
                case ByteEdit.DeleteRange:
                    bytes.RemoveRange(at, length);
                    break;
                case ByteEdit.DuplicateRange:
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return [.. bytes];
    }
}
