// Key Vault for the secrets HealthFlow cannot avoid: the patient-token HMAC key, the ledger payload key, the
// vendor and admin API keys, the ERP credentials. The template creates the vault only, never a secret value:
// operators set the secrets (docs/AZURE.md, "Deploy to Azure"), and the function app reads them through Key
// Vault references resolved with its managed identity (Key Vault Secrets User, rbac.bicep).

@description('Vault name (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the vault.')
param tags object

@description('Days a deleted vault or secret can be recovered.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@description('When true, the vault takes traffic only through its private endpoint.')
param privateNetworkOnly bool = false

@description('Log Analytics workspace that receives the audit log.')
param workspaceId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Azure RBAC, not access policies: one model for every resource, assignments reviewed in one place.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // A deleted vault or secret cannot be purged before the retention ends: the token key must not vanish.
    enablePurgeProtection: true
    publicNetworkAccess: privateNetworkOnly ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateNetworkOnly ? 'Deny' : 'Allow'
    }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

output id string = vault.id
output name string = vault.name
// The vault's URI (https://<name>.vault.azure.net/) is an address, not a secret; app settings build
// @Microsoft.KeyVault(SecretUri=...) references from it.
output uri string = vault.properties.vaultUri
