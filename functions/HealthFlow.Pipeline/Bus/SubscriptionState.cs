namespace HealthFlow.Pipeline.Bus;

/// <summary>
/// In-memory state of one subscription of the embedded bus: every unsettled message (a few dozen bytes each; bodies
/// stay in the ledger), which are due, locked or waiting for their session. Rebuilt at start-up from the topic stream
/// and the subscription's bookkeeping streams; changed only under <see cref="_gate"/>, never across an await.
/// </summary>
/// <remarks>
/// Order: messages are handed out by sequence number (oldest first); an abandoned message goes back to its place.
/// Sessions: a session is busy while one of its messages is locked or being settled; only the oldest due message
/// of an idle session is ready. A scheduled message joins its session (at its sequence position) when it is due,
/// so it never blocks the session before then. The same rules give the same order after a restart.
/// </remarks>
internal sealed class SubscriptionState(string topic, SubscriptionDefinition definition, int lockedMax)
{
    private static readonly Comparer<Entry> BySeq = Comparer<Entry>.Create((a, b) => a.Seq.CompareTo(b.Seq));

    private readonly Lock _gate = new();
    private readonly Dictionary<long, Entry> _unsettled = [];
    private readonly PriorityQueue<Entry, (DateTimeOffset Due, long Seq)> _scheduled = new();
    private readonly SortedSet<Entry> _ready = new(BySeq);
    private readonly Dictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly HashSet<Entry> _locked = [];
    private int _dueCount;
    private TaskCompletionSource _changed = NewSignal();
    private TaskCompletionSource _drained = NewSignal();

    public string Topic { get; } = topic;

    public SubscriptionDefinition Definition { get; } = definition;

    public string Stream { get; } = BusRecords.SubscriptionStream(topic, definition.Name);

    public string DeadLetterStream { get; } = BusRecords.DeadLetterStream(topic, definition.Name);

    /// <summary>Last checkpoint position written or read (see <see cref="EmbeddedBusOptions.CheckpointStore"/>).</summary>
    public long CheckpointPosition { get; set; }

    public string? CheckpointETag { get; set; }

    public int CheckpointWriting;

    /// <summary>Settlements since the low-water mark was last computed (computing it walks the unsettled messages).</summary>
    public int SettledSinceCheckpointCheck;

    /// <summary>Due, unsettled messages: what back-pressure bounds.</summary>
    public int DueCount
    {
        get
        {
            lock (_gate)
                return _dueCount;
        }
    }

    public int UnsettledCount
    {
        get
        {
            lock (_gate)
                return _unsettled.Count;
        }
    }

    /// <summary>Adds a message read from the topic stream (at start-up or when tailing).</summary>
    public void Add(Entry entry, DateTimeOffset now)
    {
        lock (_gate)
        {
            _unsettled.Add(entry.Seq, entry);
            if (entry.ScheduledFor is { } due && due > now)
            {
                entry.Status = EntryStatus.Scheduled;
                _scheduled.Enqueue(entry, (due, entry.Seq));
            }
            else
                Activate(entry);
            Signal(ref _changed);
        }
    }

    /// <summary>
    /// Locks up to <paramref name="max"/> ready messages (never more than the in-flight bound in total). Scheduled
    /// messages that are due join first; expired locks are not released here (see <see cref="TakeExpired"/>).
    /// </summary>
    public List<LockedMessage> TryLock(int max, DateTimeOffset now, out Task changed)
    {
        lock (_gate)
        {
            changed = _changed.Task;
            PromoteDue(now);
            var room = Math.Min(max, lockedMax - _locked.Count);
            var taken = new List<LockedMessage>(Math.Max(0, Math.Min(room, _ready.Count)));
            while (taken.Count < room && _ready.Min is { } entry)
            {
                _ready.Remove(entry);
                if (entry.Session is { } session)
                {
                    session.ReadyEntry = null;
                    session.InFlight++;
                }
                entry.Status = EntryStatus.Locked;
                entry.LockToken = Guid.NewGuid();
                entry.LockedUntil = now + Definition.LockDuration;
                _locked.Add(entry);
                taken.Add(new LockedMessage(entry, checked(entry.Failures + 1), entry.LockToken, entry.LockedUntil));
            }
            return taken;
        }
    }

    /// <summary>Locks whose time is up, moved to settling: the caller records the failed delivery, then releases them.</summary>
    public List<LockedMessage> TakeExpired(DateTimeOffset now)
    {
        lock (_gate)
        {
            List<LockedMessage>? expired = null;
            foreach (var entry in _locked)
            {
                if (entry.Status == EntryStatus.Locked && entry.LockedUntil <= now)
                {
                    entry.Status = EntryStatus.Settling;
                    (expired ??= []).Add(new LockedMessage(entry, checked(entry.Failures + 1), entry.LockToken, entry.LockedUntil));
                }
            }
            return expired ?? [];
        }
    }

    /// <summary>
    /// Starts settling a delivery when its lock is still held: the message stays out of circulation (and its session
    /// busy) until <see cref="EndRemove"/>, <see cref="EndRelease"/> or <see cref="RevertSettle"/>. Null: lock lost.
    /// </summary>
    public LockedMessage? BeginSettle(long seq, Guid lockToken, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_unsettled.TryGetValue(seq, out var entry) || entry.Status != EntryStatus.Locked
                || entry.LockToken != lockToken || entry.LockedUntil <= now)
                return null;
            entry.Status = EntryStatus.Settling;
            return new LockedMessage(entry, checked(entry.Failures + 1), entry.LockToken, entry.LockedUntil);
        }
    }

    /// <summary>The settlement failed to be written: the lock holds again (and may expire as usual).</summary>
    public void RevertSettle(Entry entry)
    {
        lock (_gate)
        {
            if (entry.Status == EntryStatus.Settling)
                entry.Status = EntryStatus.Locked;
        }
    }

    /// <summary>The message is completed or dead-lettered, durably: forget it.</summary>
    public void EndRemove(Entry entry)
    {
        lock (_gate)
        {
            _unsettled.Remove(entry.Seq);
            _locked.Remove(entry);
            _dueCount--;
            entry.Status = EntryStatus.Settled;
            if (entry.Session is { } session)
            {
                session.Active.Remove(entry);
                session.InFlight--;
                Refresh(session);
            }
            Signal(ref _changed);
            Signal(ref _drained);
        }
    }

    /// <summary>A failed delivery is recorded durably: the message is deliverable again with one more failure.</summary>
    public void EndRelease(Entry entry, string reason)
    {
        lock (_gate)
        {
            _locked.Remove(entry);
            entry.Failures = checked(entry.Failures + 1);
            entry.LastFailureReason = reason;
            if (entry.Session is { } session)
            {
                session.InFlight--;
                entry.Status = EntryStatus.Waiting;
                Refresh(session);
            }
            else
            {
                entry.Status = EntryStatus.Ready;
                _ready.Add(entry);
            }
            Signal(ref _changed);
        }
    }

    /// <summary>
    /// Releases locks without recording a failure, for deliveries that never reached a caller (the body could not
    /// be read, or the receive was cancelled after locking).
    /// </summary>
    public void Unlock(IEnumerable<LockedMessage> locked)
    {
        lock (_gate)
        {
            foreach (var message in locked)
            {
                var entry = message.Entry;
                if (entry.Status != EntryStatus.Locked || entry.LockToken != message.LockToken)
                    continue;
                _locked.Remove(entry);
                if (entry.Session is { } session)
                {
                    session.InFlight--;
                    entry.Status = EntryStatus.Waiting;
                    Refresh(session);
                }
                else
                {
                    entry.Status = EntryStatus.Ready;
                    _ready.Add(entry);
                }
            }
            Signal(ref _changed);
        }
    }

    public DateTimeOffset? Renew(long seq, Guid lockToken, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_unsettled.TryGetValue(seq, out var entry) || entry.Status != EntryStatus.Locked
                || entry.LockToken != lockToken || entry.LockedUntil <= now)
                return null;
            entry.LockedUntil = now + Definition.LockDuration;
            return entry.LockedUntil;
        }
    }

    /// <summary>Earliest time something changes by itself: a lock expires or a scheduled message falls due.</summary>
    public DateTimeOffset? NextDeadline()
    {
        lock (_gate)
        {
            DateTimeOffset? next = _scheduled.TryPeek(out _, out var priority) ? priority.Due : null;
            foreach (var entry in _locked)
            {
                if (entry.Status == EntryStatus.Locked && (next is null || entry.LockedUntil < next))
                    next = entry.LockedUntil;
            }
            return next;
        }
    }

    /// <summary>When the backlog is over <paramref name="bound"/>: a task that completes at the next settlement.</summary>
    public Task? OverBacklog(int bound)
    {
        lock (_gate)
            return _dueCount > bound ? _drained.Task : null;
    }

    /// <summary>Lowest unsettled sequence number, or <paramref name="cursor"/> when everything read so far is settled.</summary>
    public long LowWaterMark(long cursor)
    {
        lock (_gate)
        {
            var low = cursor;
            foreach (var seq in _unsettled.Keys)
                low = Math.Min(low, seq);
            return low;
        }
    }

    private void PromoteDue(DateTimeOffset now)
    {
        while (_scheduled.TryPeek(out var entry, out var priority) && priority.Due <= now)
        {
            _scheduled.Dequeue();
            Activate(entry);
        }
    }

    private void Activate(Entry entry)
    {
        _dueCount++;
        if (!Definition.RequiresSession)
        {
            entry.Status = EntryStatus.Ready;
            _ready.Add(entry);
            return;
        }
        if (!_sessions.TryGetValue(entry.SessionKey, out var session))
            _sessions[entry.SessionKey] = session = new Session(entry.SessionKey);
        entry.Session = session;
        entry.Status = EntryStatus.Waiting;
        session.Active.Add(entry);
        Refresh(session);
    }

    /// <summary>Keeps exactly the oldest due message of an idle session in the ready set.</summary>
    private void Refresh(Session session)
    {
        var desired = session.InFlight == 0 ? session.Active.Min : null;
        if (ReferenceEquals(session.ReadyEntry, desired))
            return;
        if (session.ReadyEntry is { } previous)
        {
            _ready.Remove(previous);
            previous.Status = EntryStatus.Waiting;
        }
        if (desired is not null)
        {
            desired.Status = EntryStatus.Ready;
            _ready.Add(desired);
        }
        session.ReadyEntry = desired;
        if (session.Active.Count == 0 && session.InFlight == 0)
            _sessions.Remove(session.Key);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static void Signal(ref TaskCompletionSource signal)
    {
        var previous = signal;
        signal = NewSignal();
        previous.TrySetResult();
    }

    internal sealed class Session(string key)
    {
        public string Key { get; } = key;
        public SortedSet<Entry> Active { get; } = new(BySeq);
        public int InFlight { get; set; }
        public Entry? ReadyEntry { get; set; }
    }
}

internal enum EntryStatus
{
    Scheduled,
    /// <summary>Due, but its session is busy or an older message of the session comes first.</summary>
    Waiting,
    Ready,
    Locked,
    /// <summary>A settlement or failure record is being written.</summary>
    Settling,
    Settled,
}

/// <summary>One unsettled message on one subscription. Identity fields are shared with the topic record.</summary>
internal sealed class Entry(long seq, string messageId, string type, string sessionKey, string correlationId, string causationId,
    DateTimeOffset enqueuedTime, DateTimeOffset? scheduledFor, int failures)
{
    public long Seq { get; } = seq;
    public string MessageId { get; } = messageId;
    public string Type { get; } = type;
    public string SessionKey { get; } = sessionKey;
    public string CorrelationId { get; } = correlationId;
    public string CausationId { get; } = causationId;
    public DateTimeOffset EnqueuedTime { get; } = enqueuedTime;
    public DateTimeOffset? ScheduledFor { get; } = scheduledFor;
    public int Failures { get; set; } = failures;
    public string? LastFailureReason { get; set; }
    public EntryStatus Status { get; set; }
    public Guid LockToken { get; set; }
    public DateTimeOffset LockedUntil { get; set; }
    public SubscriptionState.Session? Session { get; set; }

    public MessageRef Ref => new(Seq, MessageId, CorrelationId);
}

/// <summary>A lock as it was taken (the entry itself keeps changing).</summary>
internal readonly record struct LockedMessage(Entry Entry, int DeliveryCount, Guid LockToken, DateTimeOffset LockedUntil);
