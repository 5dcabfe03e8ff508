using System.Text.Json;

namespace HealthFlow.Finance.Mapping;

/// <summary>Reads the parsed files into a <see cref="MasterDataSet"/>, collecting every problem with its JSON path.</summary>
internal sealed class MasterDataReader(IReadOnlyDictionary<string, JsonDocument> documents, List<MasterDataError> errors)
{
    private static readonly string[] Groups = ["CO", "PR", "OA", "PI", "CR"];

    private string _file = "";

    public MasterDataSet? Read()
    {
        var version = ReadManifest();
        var accounts = ReadAccounts();
        var accountSet = accounts.Select(a => a.Value.Account).ToHashSet(StringComparer.Ordinal);

        // entities.json
        var currencies = new List<Item<CurrencyDefinition>>();
        var legalEntities = new List<Item<LegalEntity>>();
        var facilities = new List<Item<Facility>>();
        if (Open("entities.json", out var entities, "schemaVersion", "currencies", "legalEntities", "facilities"))
        {
            foreach (var (e, path) in Items(entities, "$", "currencies"))
            {
                Known(e, path, "code", "decimals");
                var decimals = Int(e, path, "decimals");
                if (decimals is < 0 or > 6)
                    Error(path + ".decimals", "must be between 0 and 6");
                currencies.Add(new(new CurrencyDefinition(Text(e, path, "code") ?? "", decimals ?? 2), path));
            }

            foreach (var (e, path) in Items(entities, "$", "legalEntities"))
            {
                Known(e, path, "code", "name", "currency", "undepositedFundsAccount", "bankClearingAccount", "unappliedCashAccount");
                legalEntities.Add(new(new LegalEntity(
                    Text(e, path, "code") ?? "", Text(e, path, "name") ?? "", Text(e, path, "currency") ?? "",
                    Text(e, path, "undepositedFundsAccount") ?? "", Text(e, path, "bankClearingAccount") ?? "", Text(e, path, "unappliedCashAccount") ?? ""), path));
            }

            foreach (var (e, path) in Items(entities, "$", "facilities"))
            {
                Known(e, path, "code", "name", "legalEntity", "npis", "aliases", "defaultCostCenter");
                facilities.Add(new(new Facility(
                    Text(e, path, "code") ?? "", Text(e, path, "name") ?? "", Text(e, path, "legalEntity") ?? "",
                    Texts(e, path, "npis"), Texts(e, path, "aliases"), Text(e, path, "defaultCostCenter", required: false)), path));
            }
        }

        // departments.json
        var costCenters = new List<Item<CostCenter>>();
        var departments = new List<Item<Department>>();
        if (Open("departments.json", out var depts, "schemaVersion", "costCenters", "departments"))
        {
            foreach (var (e, path) in Items(depts, "$", "costCenters"))
            {
                Known(e, path, "code", "name", "legalEntity");
                costCenters.Add(new(new CostCenter(Text(e, path, "code") ?? "", Text(e, path, "name") ?? "", Text(e, path, "legalEntity") ?? ""), path));
            }

            foreach (var (e, path) in Items(depts, "$", "departments"))
            {
                Known(e, path, "code", "facility", "name", "costCenter");
                departments.Add(new(new Department(Text(e, path, "code") ?? "", Text(e, path, "facility", required: false), Text(e, path, "name") ?? "", Text(e, path, "costCenter") ?? ""), path));
            }
        }

        // providers.json
        var providers = new List<Item<Provider>>();
        string? defaultProviderDimension = null;
        if (Open("providers.json", out var prov, "schemaVersion", "defaultDimension", "providers"))
        {
            defaultProviderDimension = Text(prov, "$", "defaultDimension", required: false);
            foreach (var (e, path) in Items(prov, "$", "providers"))
            {
                Known(e, path, "id", "name", "dimension");
                providers.Add(new(new Provider(Text(e, path, "id") ?? "", Text(e, path, "dimension") ?? ""), path));
            }
        }

        // payers.json
        var payerClasses = new List<Item<PayerClass>>();
        var payers = new List<Item<Payer>>();
        var payerOverrides = new List<(string? InsuranceAr, string? PatientAr)>();
        string? selfPay = null;
        if (Open("payers.json", out var pay, "schemaVersion", "selfPayPayer", "payerClasses", "payers"))
        {
            selfPay = Text(pay, "$", "selfPayPayer", required: false);
            foreach (var (e, path) in Items(pay, "$", "payerClasses"))
            {
                Known(e, path, "code", "name", "insuranceArAccount", "patientArAccount", "adjustmentAccounts");
                var overrides = new Dictionary<AdjustmentCategory, string>();
                if (e.TryGetProperty("adjustmentAccounts", out var map))
                {
                    if (map.ValueKind != JsonValueKind.Object)
                    {
                        Error(path + ".adjustmentAccounts", "must be an object of category → account");
                    }
                    else
                    {
                        foreach (var property in map.EnumerateObject())
                        {
                            var propertyPath = $"{path}.adjustmentAccounts.{property.Name}";
                            var category = Category(property.Name, propertyPath);
                            if (property.Value.ValueKind != JsonValueKind.String)
                                Error(propertyPath, "must be an account (string)");
                            else if (category is { } c)
                                overrides[c] = property.Value.GetString()!;
                        }
                    }
                }

                payerClasses.Add(new(new PayerClass(
                    Text(e, path, "code") ?? "", Text(e, path, "name") ?? "", Text(e, path, "insuranceArAccount") ?? "",
                    Text(e, path, "patientArAccount") ?? "", overrides), path));
            }

            foreach (var (e, path) in Items(pay, "$", "payers"))
            {
                Known(e, path, "code", "name", "payerClass", "aliases", "insuranceArAccount", "patientArAccount");
                payers.Add(new(new Payer(
                    Text(e, path, "code") ?? "", Text(e, path, "name") ?? "", Text(e, path, "payerClass") ?? "", Texts(e, path, "aliases"), "", ""), path));
                payerOverrides.Add((Text(e, path, "insuranceArAccount", required: false), Text(e, path, "patientArAccount", required: false)));
            }
        }

        // revenue-codes.json
        var serviceLines = new List<Item<ServiceLine>>();
        var revenueCodes = new List<Item<RevenueCode>>();
        if (Open("revenue-codes.json", out var rev, "schemaVersion", "serviceLines", "revenueCodes"))
        {
            foreach (var (e, path) in Items(rev, "$", "serviceLines"))
            {
                Known(e, path, "code", "name", "revenueAccount");
                serviceLines.Add(new(new ServiceLine(Text(e, path, "code") ?? "", Text(e, path, "name") ?? "", Text(e, path, "revenueAccount") ?? ""), path));
            }

            foreach (var (e, path) in Items(rev, "$", "revenueCodes"))
            {
                Known(e, path, "code", "description", "serviceLine");
                var code = Text(e, path, "code") ?? "";
                if (code.Length != 4 || !code[..3].All(char.IsAsciiDigit) || !(char.IsAsciiDigit(code[3]) || code[3] is 'X' or 'x'))
                    Error(path + ".code", $"\"{code}\" is not a four-digit UB-04 revenue code or a family like 045X");
                revenueCodes.Add(new(new RevenueCode(code, Text(e, path, "serviceLine") ?? ""), path));
            }
        }

        // adjustments.json
        var categoryAccounts = new Dictionary<AdjustmentCategory, string>();
        var categoryPaths = new Dictionary<AdjustmentCategory, string>();
        var rules = new List<Item<AdjustmentRule>>();
        if (Open("adjustments.json", out var adj, "schemaVersion", "categories", "rules"))
        {
            if (!adj.TryGetProperty("categories", out var categories) || categories.ValueKind != JsonValueKind.Object)
            {
                Error("$.categories", "required object of category → { account }");
            }
            else
            {
                foreach (var property in categories.EnumerateObject())
                {
                    var path = "$.categories." + property.Name;
                    var category = Category(property.Name, path);
                    if (property.Value.ValueKind != JsonValueKind.Object)
                    {
                        Error(path, "must be an object { \"account\": ... }");
                        continue;
                    }

                    Known(property.Value, path, "account", "description");
                    var account = Text(property.Value, path, "account");
                    if (category is { } c && account is not null)
                    {
                        if (c is AdjustmentCategory.PatientResponsibility or AdjustmentCategory.Informational)
                            Error(path + ".account", $"{property.Name} posts no account of its own (patient responsibility uses the payer's patient AR)");
                        categoryAccounts[c] = account;
                        categoryPaths[c] = path + ".account";
                    }
                }
            }

            foreach (var (e, path) in Items(adj, "$", "rules"))
            {
                Known(e, path, "group", "carc", "rarc", "category", "denial", "description");
                var group = Text(e, path, "group") ?? "";
                if (!Groups.Contains(group, StringComparer.OrdinalIgnoreCase))
                    Error(path + ".group", $"\"{group}\" is not a CAS group code (CO, PR, OA, PI, CR)");
                var categoryText = Text(e, path, "category");
                var category = categoryText is null ? null : Category(categoryText, path + ".category");
                var denialText = Text(e, path, "denial", required: false);
                var denial = denialText switch
                {
                    null => DenialDisposition.None,
                    "write-off" => DenialDisposition.WriteOff,
                    "work-queue" => DenialDisposition.WorkQueue,
                    _ => Invalid(path + ".denial", $"\"{denialText}\" is not write-off or work-queue"),
                };
                if (category == AdjustmentCategory.Denial && denialText is null)
                    Error(path + ".denial", "a denial rule must say write-off or work-queue");
                if (category is not null and not AdjustmentCategory.Denial && denialText is not null)
                    Error(path + ".denial", "only denial rules have a denial disposition");
                rules.Add(new(new AdjustmentRule(group.ToUpperInvariant(), Text(e, path, "carc") ?? "", Text(e, path, "rarc", required: false), category ?? AdjustmentCategory.Informational, denial), path));
            }
        }

        // plb.json
        var plbRules = new List<Item<ProviderAdjustmentRule>>();
        if (Open("plb.json", out var plb, "schemaVersion", "reasons"))
        {
            foreach (var (e, path) in Items(plb, "$", "reasons"))
            {
                Known(e, path, "code", "name", "account", "accountRole");
                var account = Text(e, path, "account", required: false);
                var role = Text(e, path, "accountRole", required: false);
                if ((account is null) == (role is null))
                    Error(path, "needs exactly one of account or accountRole");
                if (role is not null and not "insurance-ar")
                    Error(path + ".accountRole", $"\"{role}\" is not a known role (insurance-ar)");
                plbRules.Add(new(new ProviderAdjustmentRule(Text(e, path, "code") ?? "", Text(e, path, "name") ?? "", account, role == "insurance-ar"), path));
            }
        }

        // batching.json
        var batchingDefault = BatchingRule.Default;
        var batchingOverrides = new List<Item<BatchingOverride>>();
        if (Open("batching.json", out var bat, "schemaVersion", "default", "overrides"))
        {
            if (bat.TryGetProperty("default", out var d) && d.ValueKind == JsonValueKind.Object)
            {
                var o = Override(d, "$.default", allowScope: false);
                batchingDefault = o.ApplyTo(BatchingRule.Default);
            }
            else
            {
                Error("$.default", "required object");
            }

            foreach (var (e, path) in Items(bat, "$", "overrides", required: false))
            {
                var o = Override(e, path, allowScope: true);
                if (o.Payer is null && o.LegalEntity is null)
                    Error(path, "an override names a payer, a legal entity or both");
                batchingOverrides.Add(new(o, path));
            }
        }

        // Cross-file validation: duplicates, references, accounts.
        _file = "accounts.json";
        Unique(accounts, a => a.Account, "account");
        _file = "entities.json";
        Unique(currencies, c => c.Code, "currency");
        Unique(legalEntities, l => l.Code, "legal entity");
        Unique(facilities, f => f.Code, "facility");
        var currencySet = Keys(currencies, c => c.Code);
        var entitySet = Keys(legalEntities, l => l.Code);
        var costCenterEntity = costCenters.GroupBy(c => c.Value.Code, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First().Value.LegalEntity, StringComparer.OrdinalIgnoreCase);
        foreach (var (l, path) in legalEntities)
        {
            Reference(currencySet, l.Currency, path + ".currency", "currency");
            Account(accountSet, l.UndepositedFundsAccount, path + ".undepositedFundsAccount");
            Account(accountSet, l.BankClearingAccount, path + ".bankClearingAccount");
            Account(accountSet, l.UnappliedCashAccount, path + ".unappliedCashAccount");
        }

        var facilityNames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (f, path) in facilities)
            facilityNames.TryAdd(MasterDataSet.Normal(f.Code), f.Code);
        var npis = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (f, path) in facilities)
        {
            Reference(entitySet, f.LegalEntity, path + ".legalEntity", "legal entity");
            if (f.DefaultCostCenter is not null)
                CostCenterOf(costCenterEntity, f.DefaultCostCenter, f.LegalEntity, path + ".defaultCostCenter", "departments.json");
            for (var i = 0; i < f.Aliases.Count; i++)
            {
                if (facilityNames.TryGetValue(MasterDataSet.Normal(f.Aliases[i]), out var owner) && !string.Equals(owner, f.Code, StringComparison.OrdinalIgnoreCase))
                    Error($"{path}.aliases[{i}]", $"\"{f.Aliases[i]}\" already names facility {owner}");
                else
                    facilityNames[MasterDataSet.Normal(f.Aliases[i])] = f.Code;
            }

            for (var i = 0; i < f.Npis.Count; i++)
            {
                if (!npis.TryAdd(f.Npis[i], f.Code) && !string.Equals(npis[f.Npis[i]], f.Code, StringComparison.OrdinalIgnoreCase))
                    Error($"{path}.npis[{i}]", $"NPI {f.Npis[i]} already belongs to facility {npis[f.Npis[i]]}");
            }
        }

        _file = "departments.json";
        Unique(costCenters, c => c.Code, "cost center");
        Unique(departments, d => $"{d.Facility ?? "*"}/{d.Code}", "department");
        foreach (var (c, path) in costCenters)
            Reference(entitySet, c.LegalEntity, path + ".legalEntity", "legal entity (entities.json)");
        var facilityEntity = facilities.GroupBy(f => f.Value.Code, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First().Value.LegalEntity, StringComparer.OrdinalIgnoreCase);
        foreach (var (d, path) in departments)
        {
            string? entity = null;
            if (d.Facility is not null && !facilityEntity.TryGetValue(d.Facility, out entity))
                Error(path + ".facility", $"unknown facility \"{d.Facility}\" (entities.json)");
            CostCenterOf(costCenterEntity, d.CostCenter, entity, path + ".costCenter", null);
        }

        _file = "providers.json";
        Unique(providers, p => p.Id, "provider");
        foreach (var (p, path) in providers)
        {
            if (p.Dimension.Length == 0)
                Error(path + ".dimension", "must not be empty");
        }

        _file = "payers.json";
        Unique(payerClasses, p => p.Code, "payer class");
        Unique(payers, p => p.Code, "payer");
        var classes = payerClasses.GroupBy(p => p.Value.Code, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.OrdinalIgnoreCase);
        foreach (var (c, path) in payerClasses)
        {
            Account(accountSet, c.InsuranceArAccount, path + ".insuranceArAccount");
            Account(accountSet, c.PatientArAccount, path + ".patientArAccount");
            foreach (var (category, account) in c.AdjustmentAccounts)
                Account(accountSet, account, $"{path}.adjustmentAccounts.{category.Json()}");
        }

        var resolvedPayers = new List<Payer>();
        var payerNames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (p, path) in payers)
            payerNames.TryAdd(MasterDataSet.Normal(p.Code), p.Code);
        for (var i = 0; i < payers.Count; i++)
        {
            var (p, path) = payers[i];
            var (insuranceAr, patientAr) = payerOverrides[i];
            if (insuranceAr is not null)
                Account(accountSet, insuranceAr, path + ".insuranceArAccount");
            if (patientAr is not null)
                Account(accountSet, patientAr, path + ".patientArAccount");
            if (!classes.TryGetValue(p.PayerClass, out var payerClass))
            {
                Error(path + ".payerClass", $"unknown payer class \"{p.PayerClass}\"");
                continue;
            }

            for (var a = 0; a < p.Aliases.Count; a++)
            {
                if (payerNames.TryGetValue(MasterDataSet.Normal(p.Aliases[a]), out var owner) && !string.Equals(owner, p.Code, StringComparison.OrdinalIgnoreCase))
                    Error($"{path}.aliases[{a}]", $"\"{p.Aliases[a]}\" already names payer {owner}");
                else
                    payerNames[MasterDataSet.Normal(p.Aliases[a])] = p.Code;
            }

            resolvedPayers.Add(p with
            {
                PayerClass = payerClass.Code,
                InsuranceArAccount = insuranceAr ?? payerClass.InsuranceArAccount,
                PatientArAccount = patientAr ?? payerClass.PatientArAccount,
            });
        }

        if (selfPay is not null && !payers.Any(p => string.Equals(p.Value.Code, selfPay, StringComparison.OrdinalIgnoreCase)))
            Error("$.selfPayPayer", $"unknown payer \"{selfPay}\"");

        _file = "revenue-codes.json";
        Unique(serviceLines, s => s.Code, "service line");
        Unique(revenueCodes, r => r.Code.ToUpperInvariant(), "revenue code");
        var lineSet = Keys(serviceLines, s => s.Code);
        foreach (var (s, path) in serviceLines)
            Account(accountSet, s.RevenueAccount, path + ".revenueAccount");
        foreach (var (r, path) in revenueCodes)
            Reference(lineSet, r.ServiceLine, path + ".serviceLine", "service line");

        _file = "adjustments.json";
        Unique(rules, r => $"{r.Group}-{r.Reason}" + (r.RemarkCode is null ? "" : $" with {r.RemarkCode}"), "rule for");
        foreach (var (category, path) in categoryPaths)
            Account(accountSet, categoryAccounts[category], path);
        foreach (var (r, path) in rules)
        {
            var needsAccount = r.Category is AdjustmentCategory.Contractual or AdjustmentCategory.Administrative or AdjustmentCategory.BadDebt
                || (r.Category == AdjustmentCategory.Denial && r.Denial == DenialDisposition.WriteOff);
            if (needsAccount && !categoryAccounts.ContainsKey(r.Category))
                Error(path + ".category", $"category {r.Category.Json()} has no account in $.categories");
        }

        _file = "plb.json";
        Unique(plbRules, r => r.Reason.ToUpperInvariant(), "PLB reason");
        foreach (var (r, path) in plbRules)
        {
            if (r.Account is not null)
                Account(accountSet, r.Account, path + ".account");
        }

        _file = "batching.json";
        var payerSet = Keys(payers, p => p.Code);
        foreach (var (o, path) in batchingOverrides)
        {
            if (o.Payer is not null)
                Reference(payerSet, o.Payer, path + ".payer", "payer (payers.json)");
            if (o.LegalEntity is not null)
                Reference(entitySet, o.LegalEntity, path + ".legalEntity", "legal entity (entities.json)");
        }

        if (errors.Count > 0)
            return null;

        return new MasterDataSet(
            version ?? "",
            Values(accounts),
            Values(currencies),
            Values(legalEntities),
            Values(facilities),
            Values(costCenters),
            Values(departments),
            Values(providers),
            defaultProviderDimension,
            Values(payerClasses),
            resolvedPayers,
            selfPay is null ? null : payers.First(p => string.Equals(p.Value.Code, selfPay, StringComparison.OrdinalIgnoreCase)).Value.Code,
            Values(serviceLines),
            Values(revenueCodes),
            categoryAccounts,
            Values(rules),
            Values(plbRules),
            batchingDefault,
            Values(batchingOverrides));
    }

    private string? ReadManifest()
    {
        if (!Open("manifest.json", out var manifest, "schemaVersion", "version", "effectiveFrom", "description"))
            return null;
        var version = Text(manifest, "$", "version");
        var effective = Text(manifest, "$", "effectiveFrom", required: false);
        if (effective is not null && !DateOnly.TryParseExact(effective, "yyyy-MM-dd", out _))
            Error("$.effectiveFrom", $"\"{effective}\" is not a yyyy-MM-dd date");
        return version;
    }

    private List<Item<AccountDefinition>> ReadAccounts()
    {
        var accounts = new List<Item<AccountDefinition>>();
        if (!Open("accounts.json", out var root, "schemaVersion", "accounts"))
            return accounts;
        foreach (var (e, path) in Items(root, "$", "accounts"))
        {
            Known(e, path, "account", "name", "type");
            var typeText = Text(e, path, "type") ?? "";
            AccountType? type = typeText switch
            {
                "asset" => AccountType.Asset,
                "liability" => AccountType.Liability,
                "equity" => AccountType.Equity,
                "revenue" => AccountType.Revenue,
                "contra-revenue" => AccountType.ContraRevenue,
                "expense" => AccountType.Expense,
                "other-income" => AccountType.OtherIncome,
                _ => null,
            };
            if (type is null && typeText.Length > 0)
                Error(path + ".type", $"\"{typeText}\" is not one of asset, liability, equity, revenue, contra-revenue, expense, other-income");
            accounts.Add(new(new AccountDefinition(Text(e, path, "account") ?? "", Text(e, path, "name") ?? "", type ?? AccountType.Asset), path));
        }

        return accounts;
    }

    private BatchingOverride Override(JsonElement e, string path, bool allowScope)
    {
        if (allowScope)
            Known(e, path, "payer", "legalEntity", "enabled", "cashRealTime", "maxLinesPerBatch", "consolidateLines");
        else
            Known(e, path, "enabled", "cashRealTime", "maxLinesPerBatch", "consolidateLines");
        var max = Int(e, path, "maxLinesPerBatch", required: false);
        if (max is < 2)
            Error(path + ".maxLinesPerBatch", "must be at least 2 (a journal has two lines)");
        return new BatchingOverride(
            allowScope ? Text(e, path, "payer", required: false) : null,
            allowScope ? Text(e, path, "legalEntity", required: false) : null,
            Bool(e, path, "enabled"),
            Bool(e, path, "cashRealTime"),
            max,
            Bool(e, path, "consolidateLines"));
    }

    private bool Open(string file, out JsonElement root, params string[] known)
    {
        _file = file;
        root = default;
        if (!documents.TryGetValue(file, out var document))
            return false;
        root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            Error("$", "must be a JSON object");
            return false;
        }

        Known(root, "$", known);
        var schema = Int(root, "$", "schemaVersion");
        if (schema is not null and not MasterData.SchemaVersion)
            Error("$.schemaVersion", $"is {schema}; this build reads schema version {MasterData.SchemaVersion}");
        return true;
    }

    private AdjustmentCategory? Category(string text, string path)
    {
        AdjustmentCategory? category = text switch
        {
            "contractual" => AdjustmentCategory.Contractual,
            "denial" => AdjustmentCategory.Denial,
            "patient-responsibility" => AdjustmentCategory.PatientResponsibility,
            "administrative" => AdjustmentCategory.Administrative,
            "bad-debt" => AdjustmentCategory.BadDebt,
            "informational" => AdjustmentCategory.Informational,
            _ => null,
        };
        if (category is null)
            Error(path, $"\"{text}\" is not a category (contractual, denial, patient-responsibility, administrative, bad-debt, informational)");
        return category;
    }

    private DenialDisposition Invalid(string path, string message)
    {
        Error(path, message);
        return DenialDisposition.None;
    }

    private IEnumerable<(JsonElement Element, string Path)> Items(JsonElement parent, string parentPath, string name, bool required = true)
    {
        var path = $"{parentPath}.{name}";
        if (!parent.TryGetProperty(name, out var array))
        {
            if (required)
                Error(path, "required array is missing");
            yield break;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            Error(path, "must be an array");
            yield break;
        }

        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            var itemPath = $"{path}[{MasterData.Invariant(index++)}]";
            if (item.ValueKind != JsonValueKind.Object)
                Error(itemPath, "must be an object");
            else
                yield return (item, itemPath);
        }
    }

    private void Known(JsonElement element, string path, params string[] names)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!names.Contains(property.Name, StringComparer.Ordinal))
                Error($"{path}.{property.Name}", "unknown property (a typo?)");
        }
    }

    private string? Text(JsonElement element, string path, string name, bool required = true)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
                Error($"{path}.{name}", "required");
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Error($"{path}.{name}", "must be a string");
            return null;
        }

        var text = value.GetString()!.Trim();
        if (text.Length == 0)
        {
            Error($"{path}.{name}", "must not be empty");
            return null;
        }

        return text;
    }

    private List<string> Texts(JsonElement element, string path, string name)
    {
        var list = new List<string>();
        if (!element.TryGetProperty(name, out var value))
            return list;
        if (value.ValueKind != JsonValueKind.Array)
        {
            Error($"{path}.{name}", "must be an array of strings");
            return list;
        }

        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && item.GetString()!.Trim().Length > 0)
                list.Add(item.GetString()!.Trim());
            else
                Error($"{path}.{name}[{MasterData.Invariant(index)}]", "must be a non-empty string");
            index++;
        }

        return list;
    }

    private int? Int(JsonElement element, string path, string name, bool required = true)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            if (required)
                Error($"{path}.{name}", "required");
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number))
        {
            Error($"{path}.{name}", "must be an integer");
            return null;
        }

        return number;
    }

    private bool? Bool(JsonElement element, string path, string name)
    {
        if (!element.TryGetProperty(name, out var value))
            return null;
        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            Error($"{path}.{name}", "must be true or false");
            return null;
        }

        return value.GetBoolean();
    }

    private void Unique<T>(List<Item<T>> items, Func<T, string> key, string what)
    {
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (value, path) in items)
        {
            var k = key(value);
            if (k.Length == 0)
                continue;
            if (!seen.TryAdd(k, path))
                Error(path, $"duplicate {what} \"{k}\" (first at {seen[k]})");
        }
    }

    private static HashSet<string> Keys<T>(List<Item<T>> items, Func<T, string> key) =>
        items.Select(i => key(i.Value)).ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static List<T> Values<T>(List<Item<T>> items) => items.Select(i => i.Value).ToList();

    private void Reference(HashSet<string> known, string value, string path, string what)
    {
        if (value.Length > 0 && !known.Contains(value))
            Error(path, $"unknown {what} \"{value}\"");
    }

    private void Account(HashSet<string> accounts, string account, string path)
    {
        if (account.Length > 0 && !accounts.Contains(account))
            Error(path, $"account \"{account}\" is not in the chart of accounts (accounts.json)");
    }

    private void CostCenterOf(Dictionary<string, string> costCenterEntity, string costCenter, string? legalEntity, string path, string? file)
    {
        if (costCenter.Length == 0)
            return;
        var where = file is null ? "" : $" ({file})";
        if (!costCenterEntity.TryGetValue(costCenter, out var entity))
            Error(path, $"unknown cost center \"{costCenter}\"{where}");
        else if (legalEntity is not null && !string.Equals(entity, legalEntity, StringComparison.OrdinalIgnoreCase))
            Error(path, $"cost center \"{costCenter}\" belongs to legal entity {entity}, not {legalEntity}");
    }

    private void Error(string path, string message) => errors.Add(new MasterDataError(_file, path, message));

    private readonly record struct Item<T>(T Value, string Path);
}
