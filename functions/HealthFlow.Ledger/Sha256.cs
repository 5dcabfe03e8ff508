using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace HealthFlow.Ledger;

/// <summary>
/// SHA-256 of one record. A commit hashes its records one after another (each covers the previous one's hash),
/// so this is on the critical path of every commit. For a record-sized input (about 600 bytes) .NET's
/// <see cref="SHA256"/> spends as long in OpenSSL's EVP layer (a digest context per call, error-queue clearing)
/// as in hashing: about 0.9 µs per record against 0.45 µs for OpenSSL's plain SHA256_Init/Update/Final. On Linux,
/// where the runtime's OpenSSL exports those, they are called directly, once they have hashed a test input
/// exactly as <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/> does; elsewhere that is used.
/// </summary>
internal static unsafe class Sha256
{
    private static readonly Functions? Plain = Functions.Load();

    /// <summary>Whether the plain OpenSSL functions are in use (else <see cref="SHA256"/>).</summary>
    public static bool UsesPlainOpenSsl => Plain is not null;

    public static void Hash(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (Plain is { } plain)
            plain.Hash(source, destination);
        else
            SHA256.HashData(source, destination);
    }

    private sealed class Functions
    {
        // sizeof(SHA256_CTX) is 112 bytes on every 64-bit build; room to spare.
        private const int ContextBytes = 256;
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
            fixed (byte* data = source)
            fixed (byte* hash = destination)
            {
                if (_init(context) != 1 || _update(context, data, (nuint)source.Length) != 1 || _final(hash, context) != 1)
                    throw new CryptographicException("OpenSSL SHA-256 failed.");
            }
        }

        private bool HashesLikeDotNet()
        {
            Span<byte> ours = stackalloc byte[32];
            Span<byte> theirs = stackalloc byte[32];
            foreach (var length in (int[])[0, 55, 56, 64, 629, 4099])
            {
                var input = new byte[length];
                for (var i = 0; i < length; i++)
                    input[i] = unchecked((byte)((i * 31) + length));
                Hash(input, ours);
                SHA256.HashData(input, theirs);
                if (!ours.SequenceEqual(theirs))
                    return false;
            }
            return true;
        }
    }
}
