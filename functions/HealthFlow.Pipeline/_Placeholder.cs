namespace HealthFlow.Pipeline;
internal static class Placeholder { }
