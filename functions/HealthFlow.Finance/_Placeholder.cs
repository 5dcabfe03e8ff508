namespace HealthFlow.Finance;
internal static class Placeholder { }
