using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Erp;

/// <summary>
/// The default ERP: appends one JSON object per journal to <c>journals.jsonl</c> and one CSV row per line to
/// <c>journals.csv</c> in the sink folder (<c>{data}/erp</c>), fsync'd before the post is acknowledged. Document number:
/// <c>FILE-{journalId}</c>.
/// </summary>
/// <remarks>
/// <para>Exactly once across crashes, without a second ledger write per post: every acknowledgement records the byte
/// ranges it appended (<c>jsonlStart</c>/<c>jsonlEnd</c>, <c>csvStart</c>/<c>csvEnd</c> in
/// <see cref="ErpAcknowledgement.Details"/>). Appends are serialized, so the acknowledged ranges tile each file from the
/// start; at open the sink finds the end of that tiled prefix and reads only what lies beyond it (the tail written by posts
/// whose acknowledgement a crash prevented). Journals found there are not written again when their key is retried:
/// the retry just acknowledges them. A last record cut short by a crash (no final LF, or for CSV an LF inside an open
/// quoted field) was never acknowledged and is cut off at open.</para>
/// <para>One process writes a data folder (the runtime holds <c>.writer.lock</c>); within it one writer at a time appends,
/// taking every post that queued meanwhile (group commit: one write and one fsync per file for the lot).</para>
/// </remarks>
internal sealed partial class FileErpConnector : IErpConnector
{
    public const string JsonLinesFile = "journals.jsonl";
    public const string CsvFile = "journals.csv";

    private readonly string _jsonlPath;
    private readonly string _csvPath;
    private readonly ErpPostedRegister _register;
    private Exception? _broken;
    private readonly HashSet<string> _inJsonl = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inCsv = new(StringComparer.Ordinal);
    private readonly Lock _queueGate = new();
    private List<Pending> _queue = [];
    private bool _writing;

    private FileErpConnector(string folder, ErpPostedRegister register)
    {
        Folder = folder;
        _jsonlPath = Path.Combine(folder, JsonLinesFile);
        _csvPath = Path.Combine(folder, CsvFile);
        _register = register;
    }

    public string Name => "file";

    public bool NeedsIntentRecord => false;

    public string Folder { get; }

    /// <summary>Opens the sink folder and recovers the unacknowledged tail of both files.</summary>
    public static FileErpConnector Open(string folder, ErpPostedRegister register, ILogger logger)
    {
        Directory.CreateDirectory(folder);
        var sink = new FileErpConnector(folder, register);
        var accepted = register.AcceptedAcknowledgements();
        sink.Recover(sink._jsonlPath, Ranges(accepted, "jsonl"), 0, logger, (tail, found) =>
        {
            foreach (var line in tail.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using var document = JsonDocument.Parse(line);
                found.Add(document.RootElement.GetProperty("idempotencyKey").GetString() ?? "");
            }
        }, sink._inJsonl);
        var header = Encoding.UTF8.GetByteCount(JournalFormat.CsvHeader + "\r\n");
        sink.Recover(sink._csvPath, Ranges(accepted, "csv"), header, logger, (tail, found) =>
        {
            foreach (var row in JournalFormat.ParseCsv(tail))
                if (row.Count > 1)
                    found.Add(row[1]);
        }, sink._inCsv);
        var recovered = sink._inJsonl.Count;
        if (recovered > 0)
            Logs.FileSinkRecovered(logger, recovered);
        return sink;
    }

    public async ValueTask<ErpAcknowledgement> SendAsync(ErpSendContext context, CancellationToken cancellationToken)
    {
        // Group commit: posts that arrive while a write is in progress are written together with one fsync per file.
        var pending = new Pending(context, new TaskCompletionSource<ErpAcknowledgement>(TaskCreationOptions.RunContinuationsAsynchronously));
        bool lead;
        lock (_queueGate)
        {
            _queue.Add(pending);
            lead = !_writing;
            _writing = true;
        }

        if (lead)
            await Task.Run(Drain, CancellationToken.None);
        return await pending.Done.Task.WaitAsync(cancellationToken);
    }

    private void Drain()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_queueGate)
            {
                if (_queue.Count == 0)
                {
                    _writing = false;
                    return;
                }

                batch = _queue;
                _queue = [];
            }

            try
            {
                if (_broken is not null)
                    throw new IOException("The file ERP sink failed earlier; restart to recover it from its files.", _broken);
                Write(batch);
            }
            catch (Exception exception)
            {
                // Local I/O failed: whether the bytes reached the disk is unknown, so the sink stops until a restart, whose
                // tail scan decides; every post of the batch fails (none is acknowledged, so a retry after the restart is safe).
                _broken ??= exception;
                foreach (var item in batch)
                    item.Done.TrySetException(exception);
            }
        }
    }

    private void Write(List<Pending> batch)
    {
        Prune();
        var json = new List<(Pending Item, byte[] Bytes)>();
        var csv = new List<(Pending Item, byte[] Bytes)>();
        foreach (var item in batch)
        {
            var jsonJournals = item.Context.Journals.Where(j => _inJsonl.Add(j.IdempotencyKey)).ToList();
            if (jsonJournals.Count > 0)
                json.Add((item, JournalFormat.ToJsonLines(jsonJournals)));
            var csvJournals = item.Context.Journals.Where(j => _inCsv.Add(j.IdempotencyKey)).ToList();
            if (csvJournals.Count > 0)
                csv.Add((item, Encoding.UTF8.GetBytes(JournalFormat.ToCsvRows(csvJournals))));
        }

        var details = batch.ToDictionary(i => i, _ => new Dictionary<string, string>(StringComparer.Ordinal));
        Append(_jsonlPath, json, header: null, "jsonl", details);
        Append(_csvPath, csv, Encoding.UTF8.GetBytes(JournalFormat.CsvHeader + "\r\n"), "csv", details);

        foreach (var item in batch)
        {
            item.Done.TrySetResult(new ErpAcknowledgement
            {
                Outcome = ErpOutcome.Accepted,
                IdempotencyKey = item.Context.IdempotencyKey,
                Gateway = Name,
                Documents = [.. item.Context.Journals.Select(j => new ErpDocument(j.JournalId, j.IdempotencyKey, "FILE-" + j.JournalId))],
                Details = details[item].Count > 0 ? details[item] : null,
            });
        }
    }

    private sealed record Pending(ErpSendContext Context, TaskCompletionSource<ErpAcknowledgement> Done);

    /// <summary>Keys written here stay in memory only until the register knows them (it answers for them from then on).</summary>
    private void Prune()
    {
        if (_inJsonl.Count + _inCsv.Count < 4096)
            return;
        _inJsonl.RemoveWhere(k => _register.TryGetJournal(k, out _));
        _inCsv.RemoveWhere(k => _register.TryGetJournal(k, out _));
    }

    /// <summary>Appends the parts in order with one write and one fsync; each part's byte range goes into its post's details.</summary>
    /// <remarks>One gathered write on a bare handle: a buffered <see cref="FileStream"/> allocated 64 KB per file and batch.</remarks>
    private static void Append(string path, List<(Pending Item, byte[] Bytes)> parts, byte[]? header, string prefix, Dictionary<Pending, Dictionary<string, string>> details)
    {
        if (parts.Count == 0)
            return;
        var created = !File.Exists(path);
        using var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        var start = RandomAccess.GetLength(handle);
        var position = start;
        var buffers = new List<ReadOnlyMemory<byte>>(parts.Count + 1);
        if (position == 0 && header is not null)
        {
            buffers.Add(header);
            position += header.Length;
        }
        foreach (var (item, bytes) in parts)
        {
            details[item][prefix + "Start"] = position.ToString(CultureInfo.InvariantCulture);
            buffers.Add(bytes);
            position += bytes.Length;
            details[item][prefix + "End"] = position.ToString(CultureInfo.InvariantCulture);
        }

        RandomAccess.Write(handle, buffers, start);
        RandomAccess.FlushToDisk(handle);
        if (created)
            SyncDirectory(Path.GetDirectoryName(path)!);
    }

    private static List<(long Start, long End)> Ranges(IReadOnlyList<ErpAcknowledgement> accepted, string prefix)
    {
        var ranges = new List<(long, long)>();
        foreach (var acknowledgement in accepted)
        {
            if (acknowledgement.Details is { } details
                && details.TryGetValue(prefix + "Start", out var start) && details.TryGetValue(prefix + "End", out var end))
                ranges.Add((long.Parse(start, CultureInfo.InvariantCulture), long.Parse(end, CultureInfo.InvariantCulture)));
        }

        ranges.Sort();
        return ranges;
    }

    private void Recover(string path, List<(long Start, long End)> ranges, long prefix, ILogger logger, Action<string, HashSet<string>> read, HashSet<string> found)
    {
        if (!File.Exists(path))
            return;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        var covered = Math.Min(prefix, stream.Length);
        foreach (var (start, end) in ranges)
        {
            if (start > covered)
                break;
            covered = Math.Max(covered, end);
        }

        covered = Math.Min(covered, stream.Length);
        if (covered >= stream.Length)
            return;
        stream.Position = covered;
        var tail = new byte[checked((int)(stream.Length - covered))];
        stream.ReadExactly(tail);
        var complete = CompleteRecords(tail, csv: ReferenceEquals(path, _csvPath));
        if (complete < tail.Length)
        {
            // A record a crash cut short was never acknowledged: cut it so the next append starts on a record boundary.
            Logs.FileSinkTornTail(logger, Path.GetFileName(path), covered + complete);
            stream.SetLength(covered + complete);
            stream.Flush(flushToDisk: true);
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        read(Encoding.UTF8.GetString(tail, 0, complete), keys);
        foreach (var key in keys)
            if (!_register.TryGetJournal(key, out _))
                found.Add(key);
    }

    /// <summary>
    /// Length of the complete records at the start of <paramref name="tail"/> (which starts on a record boundary: the end
    /// of the acknowledged prefix): up to the last LF, and for CSV the last LF outside a quoted field (a memo may hold a
    /// line break). JSON lines never hold a raw LF.
    /// </summary>
    internal static int CompleteRecords(ReadOnlySpan<byte> tail, bool csv)
    {
        var complete = 0;
        var quoted = false;
        for (var i = 0; i < tail.Length; i++)
        {
            if (csv && tail[i] == (byte)'"')
                quoted = !quoted;
            else if (tail[i] == (byte)'\n' && !quoted)
                complete = i + 1;
        }

        return complete;
    }

    /// <summary>fsync of the folder after creating a file, so the new file's name survives a power loss (Linux only).</summary>
    private static void SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux())
            return;
        var fd = NativeOpen(path, 0x10000 /* O_RDONLY | O_DIRECTORY */);
        if (fd < 0)
            return; // best effort: the data itself is flushed
        _ = NativeFsync(fd);
        _ = NativeClose(fd);
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int NativeOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int NativeFsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int NativeClose(int fd);
}
