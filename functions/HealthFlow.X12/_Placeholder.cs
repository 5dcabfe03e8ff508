namespace HealthFlow.X12;
internal static class Placeholder { }
