namespace HealthFlow.Hl7;
internal static class Placeholder { }
