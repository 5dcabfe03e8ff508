namespace HealthFlow.Ledger.Storage;

/// <summary>
/// Blob names shared by both stores: relative, '/'-separated segments of <c>[A-Za-z0-9._-]</c>, no empty,
/// "." or ".." segment, at most 1,024 characters. The file store maps them to paths, so this check is what
/// keeps a crafted name from escaping the data folder.
/// </summary>
public static class BlobName
{
    public const int MaxLength = 1024;

    public static bool IsValid(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength)
            return false;
        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..")
                return false;
            foreach (var c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                    return false;
            }
        }
        return true;
    }

    public static string Validate(string name) =>
        IsValid(name) ? name : throw new ArgumentException($"'{name}' is not a valid blob name.", nameof(name));
}
