using System.Text.RegularExpressions;
using HealthFlow.Infra.Tests.Support;

namespace HealthFlow.Infra.Tests;

/// <summary>
/// Role assignments grant exactly the documented built-in roles, each to a named principal at a named scope, and
/// the ledger account gets nothing but Storage Blob Data Contributor.
/// </summary>
public sealed partial class RoleAssignmentTests
{
    /// <summary>
    /// Built-in role definition ids and names, as listed in Microsoft Learn, "Azure built-in roles"
    /// (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles). A GUID that is not here is
    /// either a typo or a role nobody reviewed; broad roles (Owner, Contributor, User Access Administrator) are
    /// deliberately absent.
    /// </summary>
    private static readonly Dictionary<string, string> DocumentedRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ba92f5b4-2d11-453d-a403-e96b0029c9fe"] = "Storage Blob Data Contributor",
        ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = "Storage Blob Data Owner",
        ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = "Storage Queue Data Contributor",
        ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"] = "Storage Table Data Contributor",
        ["69a216fc-b8fb-44d8-bc22-1f3c2cd27a39"] = "Azure Service Bus Data Sender",
        ["4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0"] = "Azure Service Bus Data Receiver",
        ["4633458b-17de-408a-b874-0445c86b69e6"] = "Key Vault Secrets User",
        ["b86a8fe4-44ce-4948-aee5-eccb2c155cd7"] = "Key Vault Secrets Officer",
        ["3913510d-42f4-4e42-8a64-420c390055eb"] = "Monitoring Metrics Publisher",
    };

    private static IEnumerable<BicepDocument> Documents() => Repository.BicepFiles().Select(BicepDocument.Load);

    private static IEnumerable<BicepBlock> Assignments() =>
        Documents().SelectMany(d => d.Resources).Where(r => r.ResourceType == "Microsoft.Authorization/roleAssignments" && !r.Existing);

    [Fact]
    public void Every_guid_in_the_templates_is_a_documented_role_named_in_the_comment_on_its_line()
    {
        var found = 0;
        foreach (var document in Documents())
        {
            var lines = document.Text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (Match guid in Guid().Matches(lines[i]))
                {
                    found++;
                    var where = $"{document.Path}:{i + 1}";
                    Assert.True(DocumentedRoles.TryGetValue(guid.Value, out var name), $"{where}: {guid.Value} is not a documented role of this repository's table.");
                    var comment = lines[i].Split("//", 2) is [_, var text] ? text.Trim() : "";
                    Assert.True(comment == name, $"{where}: {guid.Value} must carry the comment '// {name}', found '{comment}'.");
                }
            }
        }
        Assert.True(found >= 7, $"Only {found} role GUIDs found: the role table of rbac.bicep is missing.");
    }

    [Fact]
    public void Every_role_assignment_names_a_documented_role_a_principal_and_a_scope()
    {
        var assignments = Assignments().ToList();
        Assert.True(assignments.Count >= 8, $"Expected the function identity's eight assignments, found {assignments.Count}.");

        foreach (var assignment in assignments)
        {
            var properties = assignment.PropertiesOf("properties");
            var role = RoleOf(assignment);
            Assert.True(DocumentedRoles.ContainsKey(role), $"{assignment.Location}: role {role} is not documented.");

            Assert.True(properties.TryGetValue("principalId", out var principal) && !string.IsNullOrWhiteSpace(principal) && principal != "''",
                $"{assignment.Location}: no principalId.");
            Assert.True(properties.ContainsKey("principalType"), $"{assignment.Location}: no principalType (needed for a just-created identity).");
            // A resource-level scope, never the resource group or subscription.
            Assert.False(string.IsNullOrWhiteSpace(assignment.Property("scope")), $"{assignment.Location}: no scope.");
            // Deterministic names: redeploying updates the same assignment instead of failing on a duplicate.
            var name = assignment.Property("name") ?? "";
            Assert.StartsWith("guid(", name, StringComparison.Ordinal);
            Assert.Contains(principal, name, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_ledger_account_grants_only_storage_blob_data_contributor_and_that_role_is_granted_nowhere_else()
    {
        var onLedger = Assignments().Where(a => a.Property("scope") == "ledgerStorage").ToList();
        var contributorGrants = Assignments().Where(a => RoleOf(a) == "ba92f5b4-2d11-453d-a403-e96b0029c9fe").ToList();

        var ledger = Assert.Single(onLedger);
        Assert.Equal("Storage Blob Data Contributor", DocumentedRoles[RoleOf(ledger)]);
        Assert.Equal(ledger.Location, Assert.Single(contributorGrants).Location);
        var rbac = ledger.Document;
        var symbol = Assert.Single(rbac.Resources, r => r.Symbol == "ledgerStorage");
        Assert.Equal("ledgerStorageAccountName", symbol.Property("name"));
        var main = BicepDocument.Load("infra/main.bicep");
        var module = Assert.Single(main.Modules, m => m.Target == "../bicep/rbac.bicep");
        Assert.Equal("ledgerStorage.outputs.name", module.PropertiesOf("params")["ledgerStorageAccountName"]);
    }

    [Fact]
    public void The_host_account_gets_the_roles_flex_consumption_and_durable_functions_need()
    {
        var onHost = Assignments().Where(a => a.Property("scope") == "hostStorage").Select(a => DocumentedRoles[RoleOf(a)]).Order().ToList();

        Assert.Equal(new[] { "Storage Blob Data Owner", "Storage Queue Data Contributor", "Storage Table Data Contributor" }, onHost);
    }

    /// <summary>The role GUID of an assignment: a literal, or a member of the file's <c>roles</c> object.</summary>
    private static string RoleOf(BicepBlock assignment)
    {
        var definition = assignment.PropertiesOf("properties")["roleDefinitionId"];
        var literal = Guid().Match(definition);
        if (literal.Success)
            return literal.Value;
        var member = RoleMember().Match(definition);
        Assert.True(member.Success, $"{assignment.Location}: roleDefinitionId must be subscriptionResourceId('Microsoft.Authorization/roleDefinitions', <GUID or roles.member>), found {definition}.");
        var roles = assignment.Document.Variable("roles").Value!;
        var entry = Regex.Match(roles, $@"\b{member.Groups["member"].Value}:\s*'(?<guid>[0-9a-fA-F-]{{36}})'");
        Assert.True(entry.Success, $"{assignment.Location}: roles.{member.Groups["member"].Value} is not defined.");
        return entry.Groups["guid"].Value;
    }

    [GeneratedRegex(@"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")]
    private static partial Regex Guid();

    [GeneratedRegex(@"^subscriptionResourceId\('Microsoft\.Authorization/roleDefinitions',\s*roles\.(?<member>\w+)\)$")]
    private static partial Regex RoleMember();
}
