using System.Reflection;
using System.Text.Json;
using System.Xml;

namespace HealthFlow.Pipeline.Bus;

/// <summary>
/// The topics and subscriptions of HealthFlow, from <c>topology.json</c> at the repository root (embedded into
/// this assembly; a path can override it). The Bicep templates read the same file, so the rules here mirror
/// Service Bus: names of letters, digits, '.', '-' and '_' (no '/', because names become ledger stream names),
/// at most 50 characters; <c>maxDeliveryCount</c> 1 to 2,000; <c>lockDuration</c> an ISO-8601 duration from
/// 5 seconds to 5 minutes.
/// </summary>
/// <remarks>
/// Invariants of a loaded topology: at least one topic; topic names unique; subscription names unique within
/// their topic; every value in the ranges above. Unknown properties are refused (a misspelt
/// <c>requiresSession</c> silently dropping ordering would be worse than a start-up error), except those whose
/// name starts with '$' (comments).
/// </remarks>
public sealed class BusTopology
{
    /// <summary>Logical name of the embedded copy of the topology file.</summary>
    public const string ResourceName = "topology.json";

    private const int NameMaxLength = 50;
    private static readonly TimeSpan LockDurationMin = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LockDurationMax = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, TopicDefinition> _byName;

    private BusTopology(IReadOnlyList<TopicDefinition> topics)
    {
        Topics = topics;
        _byName = topics.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Declared topics, in file order.</summary>
    public IReadOnlyList<TopicDefinition> Topics { get; }

    /// <summary>The topic named <paramref name="name"/>, or null when undeclared.</summary>
    public TopicDefinition? FindTopic(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Loads the copy of <c>topology.json</c> embedded at build time.</summary>
    /// <exception cref="InvalidDataException">The embedded file is invalid (a build defect).</exception>
    public static BusTopology LoadEmbedded()
    {
        using var stream = typeof(BusTopology).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The resource '{ResourceName}' is not embedded in {typeof(BusTopology).Assembly.GetName().Name}.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return ParseOrThrow(buffer.ToArray(), $"embedded {ResourceName}");
    }

    /// <summary>Loads <paramref name="path"/> when given (an operator's override), the embedded file otherwise.</summary>
    /// <exception cref="InvalidDataException">The file is invalid; the message lists every problem.</exception>
    public static BusTopology Load(string? path) =>
        string.IsNullOrEmpty(path) ? LoadEmbedded() : ParseOrThrow(File.ReadAllBytes(path), path);

    /// <summary>Creates a topology from definitions (tests, tools); the same validation as the file.</summary>
    /// <exception cref="ArgumentException">The definitions break a rule; the message lists every problem.</exception>
    public static BusTopology Create(IReadOnlyList<TopicDefinition> topics)
    {
        var errors = new List<string>();
        Validate(topics, errors);
        return errors.Count == 0
            ? new BusTopology(topics)
            : throw new ArgumentException("Invalid topology: " + string.Join("; ", errors), nameof(topics));
    }

    /// <summary>
    /// Parses topology JSON. Returns the topology, or null with every problem found in <paramref name="errors"/>.
    /// </summary>
    public static BusTopology? Parse(ReadOnlySpan<byte> json, out IReadOnlyList<string> errors)
    {
        var found = new List<string>();
        errors = found;
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            found.Add($"not valid JSON: {ex.Message}");
            return null;
        }
        using (document)
        {
            var topics = ReadTopics(document.RootElement, found);
            if (found.Count > 0)
                return null;
            Validate(topics, found);
            return found.Count == 0 ? new BusTopology(topics) : null;
        }
    }

    private static BusTopology ParseOrThrow(byte[] json, string source) =>
        Parse(json, out var errors) ?? throw new InvalidDataException($"Invalid topology in {source}: {string.Join("; ", errors)}");

    private static List<TopicDefinition> ReadTopics(JsonElement root, List<string> errors)
    {
        var topics = new List<TopicDefinition>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add("the root must be an object with a \"topics\" array");
            return topics;
        }
        RefuseUnknown(root, "the root", ["topics"], errors);
        if (!root.TryGetProperty("topics", out var topicsElement) || topicsElement.ValueKind != JsonValueKind.Array)
        {
            errors.Add("\"topics\" must be an array");
            return topics;
        }
        var t = 0;
        foreach (var topic in topicsElement.EnumerateArray())
        {
            var where = $"topics[{t++}]";
            if (topic.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{where} must be an object");
                continue;
            }
            RefuseUnknown(topic, where, ["name", "subscriptions"], errors);
            var name = ReadString(topic, "name", where, errors);
            var subscriptions = new List<SubscriptionDefinition>();
            if (!topic.TryGetProperty("subscriptions", out var subs) || subs.ValueKind != JsonValueKind.Array)
                errors.Add($"{where}.subscriptions must be an array");
            else
            {
                var s = 0;
                foreach (var sub in subs.EnumerateArray())
                {
                    var subWhere = $"{where}.subscriptions[{s++}]";
                    if (sub.ValueKind != JsonValueKind.Object)
                    {
                        errors.Add($"{subWhere} must be an object");
                        continue;
                    }
                    RefuseUnknown(sub, subWhere, ["name", "maxDeliveryCount", "lockDuration", "requiresSession"], errors);
                    var subName = ReadString(sub, "name", subWhere, errors);
                    var maxDeliveryCount = sub.TryGetProperty("maxDeliveryCount", out var m) && m.ValueKind == JsonValueKind.Number && m.TryGetInt32(out var count)
                        ? count
                        : Fail(errors, $"{subWhere}.maxDeliveryCount must be an integer", 0);
                    var lockText = ReadString(sub, "lockDuration", subWhere, errors);
                    var lockDuration = TimeSpan.Zero;
                    if (lockText.Length > 0)
                    {
                        try
                        {
                            lockDuration = XmlConvert.ToTimeSpan(lockText);
                        }
                        catch (FormatException)
                        {
                            errors.Add($"{subWhere}.lockDuration '{lockText}' is not an ISO-8601 duration such as PT1M");
                        }
                    }
                    var requiresSession = sub.TryGetProperty("requiresSession", out var r) && r.ValueKind is JsonValueKind.True or JsonValueKind.False
                        ? r.GetBoolean()
                        : Fail(errors, $"{subWhere}.requiresSession must be true or false", false);
                    subscriptions.Add(new SubscriptionDefinition(subName, maxDeliveryCount, lockDuration, requiresSession));
                }
            }
            topics.Add(new TopicDefinition(name, subscriptions));
        }
        return topics;
    }

    private static void Validate(IReadOnlyList<TopicDefinition> topics, List<string> errors)
    {
        if (topics.Count == 0)
            errors.Add("no topic is declared");
        var topicNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var topic in topics)
        {
            if (!IsValidName(topic.Name))
                errors.Add($"topic name '{topic.Name}' must be 1 to {NameMaxLength} letters, digits, '.', '-' or '_'");
            if (!topicNames.Add(topic.Name))
                errors.Add($"topic '{topic.Name}' is declared twice");
            var subNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var sub in topic.Subscriptions)
            {
                var where = $"subscription '{topic.Name}/{sub.Name}'";
                if (!IsValidName(sub.Name))
                    errors.Add($"{where}: the name must be 1 to {NameMaxLength} letters, digits, '.', '-' or '_'");
                if (!subNames.Add(sub.Name))
                    errors.Add($"{where} is declared twice");
                if (sub.MaxDeliveryCount is < 1 or > 2000)
                    errors.Add($"{where}: maxDeliveryCount {sub.MaxDeliveryCount} is outside 1 to 2000");
                if (sub.LockDuration < LockDurationMin || sub.LockDuration > LockDurationMax)
                    errors.Add($"{where}: lockDuration {sub.LockDuration} is outside 5 seconds to 5 minutes");
            }
        }
    }

    private static bool IsValidName(string name) =>
        name.Length is > 0 and <= NameMaxLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    private static void RefuseUnknown(JsonElement element, string where, string[] known, List<string> errors)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!property.Name.StartsWith('$') && !known.Contains(property.Name, StringComparer.Ordinal))
                errors.Add($"{where} has unknown property \"{property.Name}\" (known: {string.Join(", ", known)})");
        }
    }

    private static string ReadString(JsonElement element, string property, string where, List<string> errors) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : Fail(errors, $"{where}.{property} must be a string", "");

    private static T Fail<T>(List<string> errors, string error, T fallback)
    {
        errors.Add(error);
        return fallback;
    }
}

/// <summary>A declared topic and its subscriptions.</summary>
public sealed record TopicDefinition(string Name, IReadOnlyList<SubscriptionDefinition> Subscriptions)
{
    /// <summary>True when at least one subscription requires sessions: then every message needs a session key.</summary>
    public bool RequiresSessionKey => Subscriptions.Any(s => s.RequiresSession);

    /// <summary>The subscription named <paramref name="name"/>, or null.</summary>
    public SubscriptionDefinition? FindSubscription(string name) => Subscriptions.FirstOrDefault(s => s.Name == name);
}

/// <summary>A declared subscription, with the Service Bus properties the embedded bus honours.</summary>
/// <param name="Name">Unique within its topic.</param>
/// <param name="MaxDeliveryCount">Failed deliveries after which a message is dead-lettered.</param>
/// <param name="LockDuration">How long a delivery stays locked unless renewed.</param>
/// <param name="RequiresSession">Messages of one session key are delivered one at a time, in publish order.</param>
public sealed record SubscriptionDefinition(string Name, int MaxDeliveryCount, TimeSpan LockDuration, bool RequiresSession);
