namespace HealthFlow.Ledger;
internal static class Placeholder { }
