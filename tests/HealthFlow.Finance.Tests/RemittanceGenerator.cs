using HealthFlow.Finance.Events;
using HealthFlow.Finance.Posting;

namespace HealthFlow.Finance.Tests;

/// <summary>
/// Generates a balanced 835 and its claim matches from a seed (same seed, same remittance): paid claims with
/// contractual and patient responsibility, denials of every disposition, secondary claims with OA-23, reversals,
/// unmatched claims, claims of both legal entities, and PLB of every sign.
/// </summary>
internal static class RemittanceGenerator
{
    private static readonly string[] Facilities = ["RMC", "LCH", "SVH"];
    private static readonly string[] Payers = ["ACME", "BRM", "MCD", "MCR-B", "UCARE", "TRICARE"];
    private static readonly string[] RemitPayers = ["ACME HEALTH PLAN", "BLUE RIVER MUTUAL", "STATE MEDICAID", "MEDICARE PART B", "UNITED CARE"];
    private static readonly (string Group, string Carc)[] Denials = [("CO", "50"), ("CO", "29"), ("CO", "96"), ("CO", "197"), ("CO", "16"), ("CO", "242"), ("CO", "109")];
    private static readonly (string Reason, int Sign)[] Plb = [("L6", -1), ("WO", 1), ("FB", 1), ("FB", -1), ("72", 1), ("CS", 1), ("J1", 1), ("BD", -1)];

    public static (RemittanceReceived Remittance, IReadOnlyDictionary<string, ClaimMatch> Matches) Create(int seed)
    {
        var random = new Random(seed);
        var claims = new List<ClaimPayment>();
        var matches = new Dictionary<string, ClaimMatch>(StringComparer.Ordinal);
        var claimCount = random.Next(0, 15);
        for (var i = 0; i < claimCount; i++)
        {
            var pcn = $"PCN{seed & 0xFFFF:D5}{i:D3}";
            var roll = random.Next(100);
            var lines = new List<ServiceLinePayment>();
            var claimAdjustments = new List<Adjustment>();
            var status = roll < 65 ? "1" : roll < 80 ? "4" : roll < 90 ? "22" : "2";
            for (var l = random.Next(1, 5); l > 0; l--)
            {
                var charge = Cents(random.Next(1_000, 500_000));
                var adjustments = new List<Adjustment>();
                if (status == "4")
                {
                    var (group, carc) = Denials[random.Next(Denials.Length)];
                    adjustments.Add(new Adjustment(group, carc, charge));
                }
                else
                {
                    var contractual = Cents((long)(charge * 100) * random.Next(0, 60) / 100);
                    var patient = Cents((long)(charge * 100) * random.Next(0, 20) / 100);
                    if (contractual > 0)
                        adjustments.Add(new Adjustment("CO", random.Next(5) == 0 ? "253" : "45", contractual));
                    if (patient > 0)
                        adjustments.Add(new Adjustment("PR", (1 + random.Next(3)).ToString(System.Globalization.CultureInfo.InvariantCulture), patient));
                    if (random.Next(10) == 0)
                        adjustments.Add(new Adjustment("OA", "94", Cents(random.Next(1, 500))));
                }

                var paid = charge - adjustments.Sum(a => a.Amount);
                lines.Add(new ServiceLinePayment("99213", "0450", charge, paid, adjustments));
            }

            var claimPaid = lines.Sum(l => l.Paid);
            if (status == "2" && claimPaid > 10m)
            {
                var prior = decimal.Round(claimPaid / 10, 2);
                claimAdjustments.Add(new Adjustment("OA", "23", prior));
                claimPaid -= prior;
            }

            var claim = new ClaimPayment
            {
                PatientControlNumber = pcn,
                Status = status == "22" ? "1" : status,
                Charge = lines.Sum(l => l.Charge),
                Paid = claimPaid,
                PatientResponsibility = lines.SelectMany(l => l.Adjustments).Where(a => a.Group == "PR").Sum(a => a.Amount),
                Adjustments = claimAdjustments,
                ServiceLines = lines,
            };
            claims.Add(status == "22" ? TestData.Reversal(claim) : claim);
            if (random.Next(20) != 0)
                matches[pcn] = new ClaimMatch(Facilities[random.Next(Facilities.Length)], Payers[random.Next(Payers.Length)]);
        }

        var plb = new List<ProviderAdjustment>();
        for (var p = random.Next(0, 4); p > 0; p--)
        {
            var (reason, sign) = Plb[random.Next(Plb.Length)];
            plb.Add(new ProviderAdjustment(reason, reason == "WO" ? "RECOUP1" : null, sign * Cents(random.Next(1, 50_000))));
        }

        var trace = $"TRC{seed:X8}";
        var remittance = TestData.Remittance(trace, claims, plb, RemitPayers[random.Next(RemitPayers.Length)], random.Next(4) == 0 ? "CHK" : "ACH");
        return (remittance, matches);
    }

    private static decimal Cents(long cents) => cents / 100m;
}
