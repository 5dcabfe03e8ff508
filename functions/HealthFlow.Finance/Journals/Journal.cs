using System.Text.Json.Serialization;

namespace HealthFlow.Finance.Journals;

/// <summary>
/// A double-entry journal for one legal entity, currency and posting date, as posted to the ERP.
/// </summary>
/// <remarks>
/// Invariants (checked by <see cref="JournalValidation"/> before anything posts): at least two lines; every line
/// has either a debit or a credit, never both, never negative; Σ debits = Σ credits exactly (decimal, no
/// tolerance); amounts carry at most the currency's minor-unit decimals (2 for USD: rounding happens when
/// lines are built, half away from zero, and any rounding remainder is put on the largest line so the journal
/// still balances). <see cref="IdempotencyKey"/> is derived from the source identity (e.g. payer + TRN02 + CLP01
/// + journal kind), so the ERP gateway posts a journal at most once however often it is built. A reversal
/// names the journal it reverses in <see cref="ReversalOf"/> and mirrors its lines with debit and credit swapped.
/// The JSON names of this record are the file ERP format (<c>erp/journals.jsonl</c>) that ERP teams import.
/// </remarks>
public sealed record Journal
{
    public required string JournalId { get; init; }
    public required string IdempotencyKey { get; init; }
    public required string LegalEntity { get; init; }
    public required string Currency { get; init; }
    public required DateOnly PostingDate { get; init; }
    /// <summary>
    /// What the journal books: one of <see cref="Posting.JournalKinds"/> (revenue-accrual, cash, contractual-allowance,
    /// patient-responsibility, denial-write-off, plb, ...). A reversal keeps the kind of what it reverses and sets
    /// <see cref="ReversalOf"/>; a micro-batch of several kinds is <c>batch</c>.
    /// </summary>
    public required string Kind { get; init; }
    public string? ReversalOf { get; init; }
    public required JournalSource Source { get; init; }
    public required IReadOnlyList<JournalLine> Lines { get; init; }

    /// <summary>Σ debits (not part of the file-ERP JSON).</summary>
    [JsonIgnore]
    public decimal TotalDebit => Lines.Sum(l => l.Debit);

    /// <summary>Σ credits (not part of the file-ERP JSON).</summary>
    [JsonIgnore]
    public decimal TotalCredit => Lines.Sum(l => l.Credit);
}

/// <summary>The receipt and correlation the journal descends from (one trace from HTTP request to ERP acknowledgement).</summary>
public sealed record JournalSource(string ReceiptId, string CorrelationId);

/// <summary>One line: an account with a debit or a credit and the dimensions the ERP books it with. No PHI ever.</summary>
public sealed record JournalLine(
    string Account,
    decimal Debit,
    decimal Credit,
    string? CostCenter = null,
    string? Facility = null,
    string? Payer = null,
    string? Memo = null);

/// <summary>Checks the journal invariants; a failure is a bug in a posting rule, reported as a value so it can go to exceptions.</summary>
public static class JournalValidation
{
    public static IReadOnlyList<string> Problems(Journal journal, int currencyDecimals = 2)
    {
        var problems = new List<string>();
        if (journal.Lines.Count < 2)
            problems.Add("a journal needs at least two lines");
        for (var i = 0; i < journal.Lines.Count; i++)
        {
            var line = journal.Lines[i];
            if (line.Debit < 0 || line.Credit < 0)
                problems.Add($"line {i + 1}: negative amount");
            if ((line.Debit == 0) == (line.Credit == 0))
                problems.Add($"line {i + 1}: needs exactly one of debit or credit");
            if (decimal.Round(line.Debit, currencyDecimals) != line.Debit || decimal.Round(line.Credit, currencyDecimals) != line.Credit)
                problems.Add($"line {i + 1}: more than {currencyDecimals} decimals");
            if (string.IsNullOrWhiteSpace(line.Account))
                problems.Add($"line {i + 1}: no account");
        }
        if (journal.TotalDebit != journal.TotalCredit)
            problems.Add($"debits {journal.TotalDebit} do not equal credits {journal.TotalCredit}");
        return problems;
    }
}
