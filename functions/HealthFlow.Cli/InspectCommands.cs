using System.CommandLine;
using System.Text.Json;
using HealthFlow.Fhir;
using HealthFlow.Finance;
using HealthFlow.Hl7;
using HealthFlow.X12;

namespace HealthFlow.Cli;

/// <summary>
/// <c>healthflow x12 inspect|ack</c>, <c>fhir inspect</c>, <c>hl7 inspect</c>: read a file with the same readers the runtime uses and
/// print one JSON document (other tools read it). Patient identifiers are tokenised with a throw-away key, so the
/// output never holds them in clear. Exit 0 when everything is accepted, 2 when anything is rejected.
/// </summary>
internal static class InspectCommands
{
    public static Command X12()
    {
        var x12 = new Command("x12", "Read X12 5010 files (835, 837P/I, 277CA, 999, TA1).");
        var file = new Argument<FileInfo>("FILE") { Description = "An X12 interchange file." };
        var inspect = new Command("inspect", "Print the transaction sets, remittances, claims and errors as one JSON document.") { file };
        inspect.SetAction(parse =>
        {
            using var input = Open(parse.GetValue(file)!);
            using var output = Writer();
            var accepted = X12InspectReport.Write(input, output, ThrowawayTokenizer().Tokenize);
            output.Flush();
            Console.WriteLine();
            return accepted ? 0 : 2;
        });
        var ackFile = new Argument<FileInfo>("FILE") { Description = "An X12 interchange file." };
        var ack = new Command("ack", "Print the 999 (and TA1 where due) HealthFlow would answer with.") { ackFile };
        ack.SetAction(parse =>
        {
            using var input = Open(parse.GetValue(ackFile)!);
            using var stdout = Console.OpenStandardOutput();
            var accepted = X12InspectReport.WriteAcknowledgements(input, stdout, new X12AckEnvelope(1, 1, DateTimeOffset.UtcNow));
            Console.WriteLine();
            return accepted ? 0 : 2;
        });
        x12.Subcommands.Add(inspect);
        x12.Subcommands.Add(ack);
        return x12;
    }

    public static Command Hl7()
    {
        var hl7 = new Command("hl7", "Read HL7 v2 messages (ADT, DFT).");
        var file = new Argument<FileInfo>("FILE") { Description = "A file with one HL7 v2 message." };
        var inspect = new Command("inspect", "Print the message's canonical events, errors and ACK as one JSON document.") { file };
        inspect.SetAction(parse =>
        {
            var bytes = File.ReadAllBytes(parse.GetValue(file)!.FullName);
            using var output = Writer();
            Hl7InspectReport.Write(output, bytes, ThrowawayTokenizer().Tokenize, DateTimeOffset.UtcNow);
            output.Flush();
            Console.WriteLine();
            var result = Hl7Reader.Read(bytes, _ => "");
            return result.IsAccepted ? 0 : 2;
        });
        hl7.Subcommands.Add(inspect);
        return hl7;
    }

    public static Command Fhir()
    {
        var fhir = new Command("fhir", "Read FHIR R4 resources and Bundles.");
        var file = new Argument<FileInfo>("FILE") { Description = "A FHIR R4 JSON resource or Bundle." };
        var inspect = new Command("inspect", "Print acceptance, the canonical events and the OperationOutcome as one JSON document.") { file };
        inspect.SetAction(parse =>
        {
            var result = FhirReader.Read(File.ReadAllBytes(parse.GetValue(file)!.FullName), ThrowawayTokenizer().Tokenize);
            using var stdout = Console.OpenStandardOutput();
            stdout.Write(FhirInspectReport.ToUtf8Bytes(result, correlationId: "inspect"));
            Console.WriteLine();
            return result.Accepted ? 0 : 2;
        });
        fhir.Subcommands.Add(inspect);
        return fhir;
    }

    private static FileStream Open(FileInfo file) => new(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);

    private static Utf8JsonWriter Writer() => new(Console.OpenStandardOutput(), new JsonWriterOptions { Indented = true });

    // Tokens only need to be consistent within one report; a fresh key per run keeps them unlinkable to anything.
    private static PatientTokenizer ThrowawayTokenizer() => new(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
}
