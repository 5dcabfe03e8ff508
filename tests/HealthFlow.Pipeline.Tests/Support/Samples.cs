using System.Text;

namespace HealthFlow.Pipeline.Tests.Support;

/// <summary>Small valid payloads for HTTP tests (the readers' own tests use the real fixtures).</summary>
public static class Samples
{
    public static byte[] Interchange(int control, string sender = "TESTPAYER", string date = "261121") => Encoding.ASCII.GetBytes(
        $"ISA*00*          *00*          *ZZ*{sender,-15}*ZZ*TESTHOSP       *{date}*1200*^*00501*{control:D9}*0*P*:~"
        + $"GS*HP*{sender}*TESTHOSP*20261121*1200*{control}*X*005010X221A1~ST*835*0001~BPR*I*100*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999999999*DA*654321*20261121~"
        + $"TRN*1*TRACE{control}*1512345678~N1*PR*TEST PAYER~N1*PE*TEST HOSPITAL*XX*1234567893~LX*1~CLP*PCN{control}*1*150*100*50*12*CLAIM{control}~CAS*CO*45*50~SE*11*0001~GE*1*{control}~IEA*1*{control:D9}~");

    public static byte[] Encounter(string id) => Encoding.UTF8.GetBytes(
        $$$"""{"resourceType":"Encounter","id":"{{{id}}}","meta":{"versionId":"1"},"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/p1"},"serviceProvider":{"reference":"Organization/f1"}}""");
}
