using System.Security.Cryptography;

namespace HealthFlow.Pipeline.Runtime;

/// <summary>
/// The local runtime's data folder:
/// <code>
/// .writer.lock          held by the running process (one writer per folder)
/// ledger/p0/*.seg       the hash-chained ledger: raw payloads, receipts, events, bus state
/// keys/                 secrets made on first run (patient token key, payload key); never in the ledger
/// erp/                  the file ERP sink's journals (journals.jsonl, journals.csv)
/// reporting/            reconciliation CSVs for Power BI
/// </code>
/// </summary>
public sealed class DataFolder(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public string Keys => System.IO.Path.Combine(Path, "keys");

    /// <summary>Reads a key file, creating it with <paramref name="bytes"/> random bytes (owner-only access) on first use.</summary>
    public byte[] LoadOrCreateKey(string name, int bytes)
    {
        var file = System.IO.Path.Combine(Keys, name);
        if (File.Exists(file))
            return File.ReadAllBytes(file);
        Directory.CreateDirectory(Keys);
        var key = RandomNumberGenerator.GetBytes(bytes);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.WriteThrough };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(file, options))
        {
            stream.Write(key);
            stream.Flush(flushToDisk: true);
        }
        return key;
    }
}
