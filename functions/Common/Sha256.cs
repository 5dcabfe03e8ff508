using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace HealthFlow.Common;

/// <summary>
/// SHA-256 and HMAC-SHA256 of short inputs through OpenSSL's plain SHA256_Init/Update/Final. For a record-sized input
/// (about 600 bytes) .NET's <see cref="SHA256"/> spends as long in OpenSSL's EVP layer (a digest context per call,
/// error-queue clearing) as in hashing: about 0.9 µs per record against 0.45 µs for the plain functions, and its
/// keyed <see cref="IncrementalHash"/> HMAC sets the key up again on every reset (about 0.9 µs per patient token).
/// On Linux, where the runtime's OpenSSL exports those functions, they are called directly, once they have hashed
/// test inputs exactly as <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/> and
/// <see cref="HMACSHA256.HashData(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> do; elsewhere those are used.
/// </summary>
/// <remarks>
/// One source file compiled into both HealthFlow.Ledger (record hashes) and HealthFlow.Finance (patient tokens):
/// the two are siblings and neither may reference the other, and a project of its own for one class would be a
/// dependency every host has to carry.
/// </remarks>
internal static unsafe class Sha256
{
    private static readonly Functions? Plain = Functions.Load();

    /// <summary>Whether the plain OpenSSL functions are in use (else <see cref="SHA256"/> and <see cref="IncrementalHash"/>).</summary>
    public static bool UsesPlainOpenSsl => Plain is not null;

    public static void Hash(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (Plain is { } plain)
            plain.Hash(source, destination);
        else
            SHA256.HashData(source, destination);
    }

    /// <summary>
    /// HMAC-SHA256 under one key, safe to use from many threads. The key's inner and outer pad states are hashed
    /// once, here; a MAC copies each and hashes only the message and the inner hash: two compressions for a
    /// short message instead of four plus the key's setup.
    /// </summary>
    public sealed class Hmac
    {
        // Without the plain functions: one keyed IncrementalHash per thread, for the last Hmac it served.
        [ThreadStatic]
        private static (Hmac Owner, IncrementalHash Hash)? t_keyed;

        private readonly byte[] _key;
        private readonly byte[]? _padStates;

        public Hmac(ReadOnlySpan<byte> key)
        {
            _key = key.ToArray();
            _padStates = Plain?.PadStates(key);
        }

        public void Compute(ReadOnlySpan<byte> message, Span<byte> destination)
        {
            if (destination.Length < 32)
                throw new ArgumentException("An HMAC-SHA256 needs 32 bytes.", nameof(destination));
            if (Plain is { } plain && _padStates is { } padStates)
            {
                plain.Mac(padStates, message, destination);
                return;
            }
            var hmac = KeyedHash();
            hmac.AppendData(message);
            hmac.GetHashAndReset(destination);
        }

        private IncrementalHash KeyedHash()
        {
            if (t_keyed is { } keyed && ReferenceEquals(keyed.Owner, this))
                return keyed.Hash;
            t_keyed?.Hash.Dispose();
            var hash = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
            t_keyed = (this, hash);
            return hash;
        }
    }

    private sealed class Functions
    {
        // sizeof(SHA256_CTX) is 112 bytes on every 64-bit build; room to spare. The context is plain memory (state,
        // counts, the partial block), so a copy of it carries on from where the original stood.
        private const int ContextBytes = 256;
        private const int BlockBytes = 64;
        private readonly delegate* unmanaged<byte*, int> _init;
        private readonly delegate* unmanaged<byte*, byte*, nuint, int> _update;
        private readonly delegate* unmanaged<byte*, byte*, int> _final;

        private Functions(nint library)
        {
            _init = (delegate* unmanaged<byte*, int>)NativeLibrary.GetExport(library, "SHA256_Init");
            _update = (delegate* unmanaged<byte*, byte*, nuint, int>)NativeLibrary.GetExport(library, "SHA256_Update");
            _final = (delegate* unmanaged<byte*, byte*, int>)NativeLibrary.GetExport(library, "SHA256_Final");
        }

        public static Functions? Load()
        {
            if (!OperatingSystem.IsLinux())
                return null;
            foreach (var name in (string[])["libcrypto.so.3", "libcrypto.so.1.1"])
            {
                if (!NativeLibrary.TryLoad(name, out var library))
                    continue;
                if (!NativeLibrary.TryGetExport(library, "SHA256_Init", out _) || !NativeLibrary.TryGetExport(library, "SHA256_Update", out _)
                    || !NativeLibrary.TryGetExport(library, "SHA256_Final", out _))
                    continue;
                var functions = new Functions(library);
                return functions.HashesLikeDotNet() ? functions : null;
            }
            return null;
        }

        public void Hash(ReadOnlySpan<byte> source, Span<byte> destination)
        {
            if (destination.Length < 32)
                throw new ArgumentException("A SHA-256 hash needs 32 bytes.", nameof(destination));
            var context = stackalloc byte[ContextBytes];
            fixed (byte* hash = destination)
            {
                Check(_init(context));
                Update(context, source);
                Check(_final(hash, context));
            }
        }

        /// <summary>The contexts after hashing the key's inner pad block, then its outer pad block (RFC 2104).</summary>
        public byte[] PadStates(ReadOnlySpan<byte> key)
        {
            Span<byte> block = stackalloc byte[BlockBytes];
            block.Clear();
            if (key.Length > BlockBytes)
                Hash(key, block);
            else
                key.CopyTo(block);
            Span<byte> padded = stackalloc byte[BlockBytes];
            var states = new byte[2 * ContextBytes];
            fixed (byte* state = states)
            {
                foreach (var (pad, at) in (ReadOnlySpan<(byte, int)>)[(0x36, 0), (0x5c, ContextBytes)])
                {
                    for (var i = 0; i < BlockBytes; i++)
                        padded[i] = (byte)(block[i] ^ pad);
                    Check(_init(state + at));
                    Update(state + at, padded);
                }
            }
            CryptographicOperations.ZeroMemory(block);
            CryptographicOperations.ZeroMemory(padded);
            return states;
        }

        public void Mac(ReadOnlySpan<byte> padStates, ReadOnlySpan<byte> message, Span<byte> destination)
        {
            var context = stackalloc byte[ContextBytes];
            var inner = stackalloc byte[32];
            fixed (byte* mac = destination)
            {
                padStates[..ContextBytes].CopyTo(new Span<byte>(context, ContextBytes));
                Update(context, message);
                Check(_final(inner, context));
                padStates[ContextBytes..].CopyTo(new Span<byte>(context, ContextBytes));
                Update(context, new ReadOnlySpan<byte>(inner, 32));
                Check(_final(mac, context));
            }
        }

        private void Update(byte* context, ReadOnlySpan<byte> source)
        {
            fixed (byte* data = source)
                Check(_update(context, data, (nuint)source.Length));
        }

        private static void Check(int result)
        {
            if (result != 1)
                throw new CryptographicException("OpenSSL SHA-256 failed.");
        }

        private bool HashesLikeDotNet()
        {
            Span<byte> ours = stackalloc byte[32];
            Span<byte> theirs = stackalloc byte[32];
            byte[] shortKey = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
            byte[] longKey = [.. Enumerable.Range(1, 100).Select(i => unchecked((byte)(i * 7)))];
            var keys = new[] { (shortKey, PadStates(shortKey)), (longKey, PadStates(longKey)) };
            foreach (var length in (int[])[0, 13, 55, 56, 64, 629, 4099])
            {
                var input = new byte[length];
                for (var i = 0; i < length; i++)
                    input[i] = unchecked((byte)((i * 31) + length));
                Hash(input, ours);
                SHA256.HashData(input, theirs);
                if (!ours.SequenceEqual(theirs))
                    return false;
                foreach (var (key, padStates) in keys)
                {
                    Mac(padStates, input, ours);
                    HMACSHA256.HashData(key, input, theirs);
                    if (!ours.SequenceEqual(theirs))
                        return false;
                }
            }
            return true;
        }
    }
}
