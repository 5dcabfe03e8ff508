namespace HealthFlow.Fhir;
internal static class Placeholder { }
