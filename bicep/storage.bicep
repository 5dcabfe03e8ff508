// A storage account with Entra ID access only, for one purpose (the ledger, or the Functions host).
// Shared Key is disabled, so no account key, SAS or connection string can reach this account: every caller is an
// identity with a data-plane role (rbac.bicep). TLS 1.2 minimum, HTTPS only, no anonymous blob access.

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the account.')
param tags object

@description('Redundancy. The ledger is the system of record: production uses zone- or geo-zone-redundant storage.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param skuName string = 'Standard_LRS'

@description('Blob containers to create (private).')
param containers array = []

@description('Container that receives a time-based retention (immutability) policy; empty for none.')
param immutableContainerName string = ''

@description('Days a blob in the immutable container cannot be changed or deleted after creation; 0 for no policy.')
@minValue(0)
@maxValue(146000)
param immutabilityPeriodDays int = 0

@description('Days a deleted blob or container can be restored.')
@minValue(1)
@maxValue(365)
param deleteRetentionDays int = 7

@description('When true, the account takes traffic only through private endpoints (network.bicep).')
param privateNetworkOnly bool = false

@description('Log Analytics workspace that receives the blob service logs and metrics.')
param workspaceId string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: privateNetworkOnly ? 'Disabled' : 'Enabled'
    networkAcls: {
      // AzureServices lets trusted Azure services (diagnostics, Flex Consumption deployment) through when private.
      bypass: 'AzureServices'
      defaultAction: privateNetworkOnly ? 'Deny' : 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: deleteRetentionDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: deleteRetentionDays
    }
  }
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in containers: {
  parent: blobService
  name: container
  properties: {
    publicAccess: 'None'
  }
}]

// Time-based retention on one container. allowProtectedAppendWrites keeps append blobs appendable (the ledger
// only ever appends, at an expected offset) while no existing block can be changed or deleted. The policy is
// created unlocked: locking it is a deliberate, irreversible operator step (docs/AZURE.md).
resource immutability 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = [for (container, i) in containers: if (immutabilityPeriodDays > 0 && container == immutableContainerName) {
  parent: blobContainers[i]
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: immutabilityPeriodDays
    allowProtectedAppendWrites: true
  }
}]

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: blobService
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'StorageRead'
        enabled: true
      }
      {
        category: 'StorageWrite'
        enabled: true
      }
      {
        category: 'StorageDelete'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

resource accountDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: account
  properties: {
    workspaceId: workspaceId
    metrics: [
      {
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
