using System.Buffers;
using System.Text;

namespace HealthFlow.Fhir;

/// <summary>
/// The Bundle's reference targets (entries by fullUrl and by id) without a managed object per entry: fullUrls, ids
/// and versionIds are copied as UTF-8 into one byte arena, targets are structs in one array, and the two indexes are
/// open-addressing tables of (hash, target) pairs packed in a <see cref="long"/>, so a probe for a new key usually
/// touches one cache line. Keys are UTF-8 so that a reference is looked up straight from the JSON bytes, without
/// converting it to a string first. A 100,000-entry Bundle holds a handful of reference-free arrays that the GC never
/// traces or promotes object by object. Patient ids are kept here only to resolve references (never exposed);
/// references to patients carry the token. Keys hash with the randomized string hash (Marvin), so hostile ids cannot
/// force collisions. The arrays are rented from the shared pools (no large-object allocation per read, which would
/// trigger gen2 collections) and returned by <see cref="Dispose"/>, the used part of the arena cleared first (it holds ids).
/// </summary>
internal sealed class TargetTable : IDisposable
{
    private const int SharedSlots = 4096;
    private const long Empty = -1;

    private byte[] _bytes;
    private int _byteCount;
    private Target[] _targets;
    private int _count;
    private long[] _urlSlots;
    private long[] _idSlots;
    private int _slotMask;
    private readonly List<string> _types = [];
    private readonly List<byte[]> _typeBytes = [];
    private readonly List<string> _tokens = [];

    // Plain literal references to a recent target share one immutable FhirReference; direct-mapped, so bounded.
    private readonly FhirReference?[] _shared = new FhirReference?[SharedSlots];
    private readonly int[] _sharedOwner = new int[SharedSlots];

    internal TargetTable(int expectedEntries)
    {
        // Sized from the input but capped: a huge input that is not a huge Bundle must not reserve hundreds of MB up front.
        var entries = Math.Clamp(expectedEntries, 16, 1 << 16);
        _targets = ArrayPool<Target>.Shared.Rent(entries);
        _bytes = ArrayPool<byte>.Shared.Rent(Math.Min(entries * 96, 1 << 23));
        (_urlSlots, _idSlots, _slotMask) = NewSlots((int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)entries * 2));
        Array.Fill(_sharedOwner, -1);
    }

    internal int Count => _count;

    /// <summary>Returns the arrays to the pools (ids wiped); the table must not be used afterwards.</summary>
    public void Dispose()
    {
        if (_count < 0)
        {
            return;
        }

        // Pooled arrays go back wiped: the arena holds ids (patients' too), the slots hashes of them.
        _bytes.AsSpan(0, _byteCount).Clear();
        _urlSlots.AsSpan(0, _slotMask + 1).Clear();
        _idSlots.AsSpan(0, _slotMask + 1).Clear();
        ArrayPool<byte>.Shared.Return(_bytes);
        ArrayPool<Target>.Shared.Return(_targets);
        ArrayPool<long>.Shared.Return(_urlSlots);
        ArrayPool<long>.Shared.Return(_idSlots);
        Array.Clear(_shared);
        _bytes = [];
        _targets = [];
        _urlSlots = [];
        _idSlots = [];
        _count = -1;
        _byteCount = 0;
    }

    /// <summary>Adds an entry; returns the target index of an earlier entry with the same fullUrl and the same versionId (bdl-7), or -1.</summary>
    internal int Add(int entryIndex, string resourceType, string? id, string? versionId, string? patientToken, string? fullUrl)
    {
        if (_count == _targets.Length)
        {
            Grow();
        }

        var t = _count;
        ref var target = ref _targets[t];
        target = default;
        target.EntryIndex = entryIndex;
        target.Type = TypeCode(resourceType);
        target.Token = -1;
        if (patientToken is not null)
        {
            target.Token = _tokens.Count;
            _tokens.Add(patientToken);
        }

        (target.VersionStart, target.VersionLength) = Store(versionId);
        target.NextSameId = -1;
        target.UrlLength = -1;
        target.IdLength = -1;
        var duplicate = -1;
        if (fullUrl is not null)
        {
            var (start, length) = Store(fullUrl);
            var url = _bytes.AsSpan(start, length);
            var hash = Utf8Hash.Of(url);
            var slot = ProbeUrl(url, hash);
            var existing = SlotTarget(_urlSlots[slot]);
            if (existing >= 0 && SameVersion(existing, t))
            {
                duplicate = existing;
                _byteCount = start; // not a target by this fullUrl: the copy is not kept
            }
            else
            {
                // A new version under the same fullUrl replaces the older entry as the target.
                (target.UrlStart, target.UrlLength) = (start, length);
                _urlSlots[slot] = Pack(hash, t);
            }
        }

        if (id is not null)
        {
            (target.IdStart, target.IdLength) = Store(id);
            var key = _bytes.AsSpan(target.IdStart, target.IdLength);
            var hash = Utf8Hash.Of(key);
            var slot = ProbeId(key, hash);
            var head = SlotTarget(_idSlots[slot]);
            if (head >= 0)
            {
                // Same id, other type: chained after the first entry that used the id.
                target.NextSameId = _targets[head].NextSameId;
                _targets[head].NextSameId = t;
            }
            else
            {
                _idSlots[slot] = Pack(hash, t);
            }
        }

        _count++;
        if (_count * 2 > _slotMask + 1)
        {
            Rehash();
        }

        return duplicate;
    }

    /// <summary>The target whose fullUrl is <paramref name="url"/> (UTF-8), or -1.</summary>
    internal int FindByUrl(ReadOnlySpan<byte> url) => SlotTarget(_urlSlots[ProbeUrl(url, Utf8Hash.Of(url))]);

    internal int FindByUrl(string url) => FindByUrl(Encoding.UTF8.GetBytes(url));

    /// <summary>The Bundle entry a relative or absolute <c>…/Type/id</c> literal (UTF-8) names, or -1.</summary>
    internal int FindByTypeAndId(ReadOnlySpan<byte> literal)
    {
        var history = literal.IndexOf("/_history/"u8);
        if (history >= 0)
        {
            literal = literal[..history];
        }

        var lastSlash = literal.LastIndexOf((byte)'/');
        if (lastSlash <= 0 || lastSlash == literal.Length - 1)
        {
            return -1;
        }

        var type = literal[..lastSlash];
        var previousSlash = type.LastIndexOf((byte)'/');
        type = type[(previousSlash + 1)..];
        var id = literal[(lastSlash + 1)..];
        for (var t = SlotTarget(_idSlots[ProbeId(id, Utf8Hash.Of(id))]); t >= 0; t = _targets[t].NextSameId)
        {
            if (type.SequenceEqual(_typeBytes[_targets[t].Type]))
            {
                return t;
            }
        }

        return -1;
    }

    internal int EntryIndex(int t) => _targets[t].EntryIndex;

    internal string ResourceType(int t) => _types[_targets[t].Type];

    internal string? PatientToken(int t) => _targets[t].Token >= 0 ? _tokens[_targets[t].Token] : null;

    internal string? Id(int t) => _targets[t].IdLength >= 0 ? Encoding.UTF8.GetString(_bytes, _targets[t].IdStart, _targets[t].IdLength) : null;

    internal string? FullUrl(int t) => _targets[t].UrlLength >= 0 ? Encoding.UTF8.GetString(_bytes, _targets[t].UrlStart, _targets[t].UrlLength) : null;

    internal FhirReference? Shared(int t) => _sharedOwner[t & (SharedSlots - 1)] == t ? _shared[t & (SharedSlots - 1)] : null;

    internal void SetShared(int t, FhirReference reference)
    {
        _sharedOwner[t & (SharedSlots - 1)] = t;
        _shared[t & (SharedSlots - 1)] = reference;
    }

    private static long Pack(int hash, int target) => unchecked(((long)hash << 32) | (uint)target);

    private static int SlotTarget(long slot) => slot == Empty ? -1 : unchecked((int)slot);

    /// <summary>The slot holding <paramref name="url"/>, or the empty slot where it would go (linear probing).</summary>
    private int ProbeUrl(ReadOnlySpan<byte> url, int hash)
    {
        var slots = _urlSlots;
        for (var i = hash & _slotMask; ; i = (i + 1) & _slotMask)
        {
            var slot = slots[i];
            if (slot == Empty)
            {
                return i;
            }

            if (unchecked((int)(slot >> 32)) == hash)
            {
                ref var target = ref _targets[unchecked((int)slot)];
                if (url.SequenceEqual(_bytes.AsSpan(target.UrlStart, target.UrlLength)))
                {
                    return i;
                }
            }
        }
    }

    private int ProbeId(ReadOnlySpan<byte> id, int hash)
    {
        var slots = _idSlots;
        for (var i = hash & _slotMask; ; i = (i + 1) & _slotMask)
        {
            var slot = slots[i];
            if (slot == Empty)
            {
                return i;
            }

            if (unchecked((int)(slot >> 32)) == hash)
            {
                ref var target = ref _targets[unchecked((int)slot)];
                if (id.SequenceEqual(_bytes.AsSpan(target.IdStart, target.IdLength)))
                {
                    return i;
                }
            }
        }
    }

    private bool SameVersion(int t, int other) =>
        _targets[t].VersionLength < 0
            ? _targets[other].VersionLength < 0
            : _targets[other].VersionLength >= 0
              && _bytes.AsSpan(_targets[t].VersionStart, _targets[t].VersionLength).SequenceEqual(_bytes.AsSpan(_targets[other].VersionStart, _targets[other].VersionLength));

    private int TypeCode(string resourceType)
    {
        // A Bundle holds a handful of resource types: a linear scan beats a dictionary.
        for (var i = 0; i < _types.Count; i++)
        {
            if (string.Equals(_types[i], resourceType, StringComparison.Ordinal))
            {
                return i;
            }
        }

        _types.Add(resourceType);
        _typeBytes.Add(Encoding.UTF8.GetBytes(resourceType));
        return _types.Count - 1;
    }

    /// <summary>Copies <paramref name="text"/> as UTF-8 into the arena.</summary>
    private (int Start, int Length) Store(string? text)
    {
        if (text is null)
        {
            return (0, -1);
        }

        var needed = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (_byteCount + needed > _bytes.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(checked(_bytes.Length * 2), checked(_byteCount + needed)));
            _bytes.AsSpan(0, _byteCount).CopyTo(larger);
            _bytes.AsSpan(0, _byteCount).Clear();
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = larger;
        }

        var start = _byteCount;
        var length = Encoding.UTF8.GetBytes(text, _bytes.AsSpan(start));
        _byteCount += length;
        return (start, length);
    }

    private void Grow()
    {
        var larger = ArrayPool<Target>.Shared.Rent(checked(_targets.Length * 2));
        _targets.AsSpan(0, _count).CopyTo(larger);
        ArrayPool<Target>.Shared.Return(_targets);
        _targets = larger;
    }

    private void Rehash()
    {
        var oldUrl = _urlSlots;
        var oldId = _idSlots;
        var oldLength = _slotMask + 1;
        (_urlSlots, _idSlots, _slotMask) = NewSlots(checked(oldLength * 2));
        for (var i = 0; i < oldLength; i++)
        {
            if (oldUrl[i] != Empty)
            {
                Reinsert(_urlSlots, oldUrl[i]);
            }

            if (oldId[i] != Empty)
            {
                Reinsert(_idSlots, oldId[i]);
            }
        }

        oldUrl.AsSpan(0, oldLength).Clear();
        oldId.AsSpan(0, oldLength).Clear();
        ArrayPool<long>.Shared.Return(oldUrl);
        ArrayPool<long>.Shared.Return(oldId);
    }

    /// <summary>Keys are unique in a table, so re-inserting needs no key comparison.</summary>
    private void Reinsert(long[] slots, long packed)
    {
        var i = unchecked((int)(packed >> 32)) & _slotMask;
        while (slots[i] != Empty)
        {
            i = (i + 1) & _slotMask;
        }

        slots[i] = packed;
    }

    private static (long[] Url, long[] Id, int Mask) NewSlots(int length)
    {
        var url = ArrayPool<long>.Shared.Rent(length);
        var id = ArrayPool<long>.Shared.Rent(length);
        url.AsSpan(0, length).Fill(Empty);
        id.AsSpan(0, length).Fill(Empty);
        return (url, id, length - 1);
    }

    private struct Target
    {
        public int EntryIndex;
        public int Type;
        public int Token;
        public int UrlStart;
        public int UrlLength;
        public int IdStart;
        public int IdLength;
        public int NextSameId;
        public int VersionStart;
        public int VersionLength;
    }
}
