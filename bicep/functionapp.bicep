// The HealthFlow function app: Flex Consumption (FC1) by default, Elastic Premium (EP1) as an option.
// Every connection is identity-based (the user-assigned identity, see identity.bicep and rbac.bicep): host
// storage, Durable Functions, Service Bus, the ledger, Key Vault references, Application Insights.
// Settings the app reads are documented in docs/AZURE.md ("Settings").

@description('Function app name.')
param name string

@description('Hosting plan name.')
param planName string

@description('Azure region.')
param location string

@description('Tags of the function app; must carry azd-service-name so `azd deploy` finds it.')
param tags object

@description('Tags of the plan.')
param planTags object

@description('FlexConsumption (FC1, scale to zero, per-function scaling) or ElasticPremium (EP1, pre-warmed instances, no cold start, unbounded execution time).')
@allowed([
  'FlexConsumption'
  'ElasticPremium'
])
param hostingPlan string = 'FlexConsumption'

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity (for __clientId settings and DefaultAzureCredential).')
param identityClientId string

@description('Name of the host storage account (AzureWebJobsStorage, Durable task hub, deployment package).')
param hostStorageAccountName string

@description('Container of the host storage account that holds the deployment package (Flex Consumption).')
param deploymentContainerName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Flex Consumption: most instances the app scales out to (40-1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Flex Consumption: memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Flex Consumption: always-ready instances per group, e.g. [{ name: \'http\', instanceCount: 1 }].')
param alwaysReady array = []

@description('Elastic Premium: most instances the plan scales out to.')
@minValue(1)
@maxValue(100)
param premiumMaximumElasticWorkerCount int = 20

@description('Application settings of HealthFlow itself (ledger, Service Bus, Key Vault references); merged over the host settings.')
param appSettings object

@description('URI of the Key Vault (https://<name>.vault.azure.net/).')
param keyVaultUri string

@description('Settings whose values are secrets: setting name -> Key Vault secret name. Each becomes a Key Vault reference.')
param secretSettings object

@description('Subnet for outbound VNet integration; empty for none.')
param virtualNetworkSubnetId string = ''

@description('Log Analytics workspace that receives the function logs and metrics.')
param workspaceId string

var isFlex = hostingPlan == 'FlexConsumption'

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: planTags
  kind: isFlex ? 'functionapp' : 'elastic'
  sku: isFlex ? {
    name: 'FC1'
    tier: 'FlexConsumption'
  } : {
    name: 'EP1'
    tier: 'ElasticPremium'
  }
  properties: {
    // Linux: required by Flex Consumption, and the same OS for the Premium option.
    reserved: true
    maximumElasticWorkerCount: isFlex ? null : premiumMaximumElasticWorkerCount
  }
}

// Host settings. The storage connection is identity-based (AzureWebJobsStorage__*), and Durable Functions uses the
// same connection (host.json: storageProvider.connectionName). No account key exists: shared key is disabled.
var hostSettings = {
  AzureWebJobsStorage__accountName: hostStorage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // The connection string of a local-auth-disabled component only locates it; ingestion needs the identity.
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // DefaultAzureCredential / ManagedIdentityCredential in HealthFlow code pick the user-assigned identity.
  AZURE_CLIENT_ID: identityClientId
}

// Flex Consumption takes the runtime from functionAppConfig and rejects FUNCTIONS_WORKER_RUNTIME and
// FUNCTIONS_EXTENSION_VERSION; Elastic Premium needs them. Premium runs from the deployed package (no Azure Files
// content share, which would need a shared key).
var premiumSettings = isFlex ? {} : {
  FUNCTIONS_EXTENSION_VERSION: '~4'
  FUNCTIONS_WORKER_RUNTIME: 'dotnet-isolated'
  WEBSITE_RUN_FROM_PACKAGE: '1'
}

// Versionless references: a rotated secret reaches the app within 24 hours, or at once on restart. The platform
// resolves them with keyVaultReferenceIdentity (below) and caches them; no secret value passes through the template.
var keyVaultReferences = toObject(items(secretSettings), setting => setting.key, setting => '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${setting.value}/)')

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with the user-assigned identity (the default would be a system identity).
    keyVaultReferenceIdentity: identityId
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    functionAppConfig: isFlex ? {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: alwaysReady
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    } : null
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      // Flex Consumption routes all outbound traffic through an integrated VNet by itself; Premium needs the switch.
      vnetRouteAllEnabled: isFlex ? null : !empty(virtualNetworkSubnetId)
      linuxFxVersion: isFlex ? null : 'DOTNET-ISOLATED|10.0'
      // Premium: scale on Service Bus backlog even when the namespace is reachable only through the VNet.
      functionsRuntimeScaleMonitoringEnabled: isFlex ? null : true
      minimumElasticInstanceCount: isFlex ? null : 1
    }
  }
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(hostSettings, premiumSettings, appSettings, keyVaultReferences)
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: site
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'FunctionAppLogs'
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

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
