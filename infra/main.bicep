// HealthFlow in Azure: the azd entry point (azure.yaml -> infra/main.bicep) and the template that
// `az deployment sub create` and .github/workflows/deploy.yml deploy. Subscription scope, because it creates the
// resource group. It composes the reusable modules in ../bicep; docs/AZURE.md explains each choice and the limits.
targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------------------------
// Parameters. Without a default: environmentName and location (main.parameters.json takes them from azd's
// AZURE_ENV_NAME and AZURE_LOCATION; infra/env/*.parameters.json give them per environment).
// ---------------------------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Environment name (dev, test, prod...): names the resource group and seeds the unique resource names.')
param environmentName string

@minLength(1)
@description('Region of every resource. Flex Consumption is not offered in every region (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the person or group who sets Key Vault secrets after deployment (azd passes the signed-in user). Empty: nobody gets Key Vault Secrets Officer from this template.')
param principalId string = ''

@description('Type of principalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('FlexConsumption (default: FC1, scale to zero) or ElasticPremium (EP1: always-warm instances, no execution time limit).')
@allowed([
  'FlexConsumption'
  'ElasticPremium'
])
param hostingPlan string = 'FlexConsumption'

@description('Flex Consumption: most instances.')
@minValue(40)
@maxValue(1000)
param functionMaximumInstanceCount int = 100

@description('Flex Consumption: memory per instance (MB).')
@allowed([
  512
  2048
  4096
])
param functionInstanceMemoryMB int = 2048

@description('Flex Consumption: always-ready instances, e.g. [{ "name": "http", "instanceCount": 1 }] so vendor posts never wait for a cold start.')
param functionAlwaysReady array = []

@description('Service Bus tier. Standard: 256 KB messages, about 1,000 operations/s shared. Premium: dedicated capacity, private endpoints.')
@allowed([
  'Standard'
  'Premium'
])
param serviceBusSku string = 'Standard'

@description('Redundancy of the ledger storage account (the system of record).')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param ledgerStorageSku string = 'Standard_LRS'

@description('Days of time-based retention (immutability) on the ledger container; 0 for none. Append writes stay allowed. Once locked by an operator, it cannot be shortened or removed.')
@minValue(0)
@maxValue(146000)
param ledgerImmutabilityDays int = 0

@description('Private endpoints for storage, Key Vault and (Premium) Service Bus, and VNet integration of the function app.')
param vnetEnabled bool = false

@description('ERP the journals post to (docs/ERP.md). The file gateway of the local runtime is not offered: in Azure it would write journals to an instance\'s temporary disk.')
@allowed([
  'webhook'
  'dynamics365'
  'oracle'
  'sap'
])
param erpGateway string

@description('The gateway\'s other settings, without secrets, named as under Erp__ (docs/ERP.md), e.g. { "Dynamics365__Url": "https://contoso.operations.dynamics.com", "Dynamics365__TenantId": "<tenant>", "Dynamics365__ClientId": "<app>" }. Its secret is the Key Vault secret erp-client-secret.')
param erpSettings object = {}

@description('Vendors that post to HealthFlow; each gets the app setting Vendors__<vendor>__Key, a Key Vault reference to the secret vendor-<vendor>-key.')
param vendors array = []

@description('Days Log Analytics keeps logs.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('E-mail addresses that receive the alerts.')
param alertEmails array = []

@description('Posting-lag SLA in minutes: source event to ERP acknowledgement.')
@minValue(1)
param postingLagSlaMinutes int = 240

@description('Open exceptions tolerated before the backlog alert fires.')
@minValue(0)
param exceptionBacklogMax int = 50

// ---------------------------------------------------------------------------------------------------------------
// Names and tags
// ---------------------------------------------------------------------------------------------------------------

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  application: 'healthflow'
}
// azd deploys the service "api" of azure.yaml to the resource carrying this tag.
var functionTags = union(tags, {
  'azd-service-name': 'api'
})
var functionAppName = '${abbrs.webSitesFunctions}healthflow-${resourceToken}'
var deploymentContainerName = 'app-package-${take(resourceToken, 7)}'
// Durable Functions task hub: letters and digits only, 3-45 characters.
var taskHubName = take('healthflow${replace(replace(environmentName, '-', ''), '_', '')}', 45)
var storageSuffix = environment().suffixes.storage
var privateDnsZoneNames = concat([
  'privatelink.blob.${storageSuffix}'
  'privatelink.queue.${storageSuffix}'
  'privatelink.table.${storageSuffix}'
  'privatelink.vaultcore.azure.net'
], serviceBusSku == 'Premium' ? [
  'privatelink.servicebus.windows.net'
] : [])

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}healthflow-${environmentName}'
  location: location
  tags: tags
}

// ---------------------------------------------------------------------------------------------------------------
// Identity, monitoring, data
// ---------------------------------------------------------------------------------------------------------------

module identity '../bicep/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}healthflow-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring '../bicep/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}healthflow-${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}healthflow-${resourceToken}'
    location: location
    tags: tags
    retentionInDays: logRetentionDays
  }
}

// The ledger: append-only, hash-chained records (ledger), raw payloads as received (raw), finance exports (reporting).
module ledgerStorage '../bicep/storage.bicep' = {
  name: 'ledger-storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}ldg${resourceToken}'
    location: location
    tags: tags
    skuName: ledgerStorageSku
    containers: [
      'ledger'
      'raw'
      'reporting'
    ]
    immutableContainerName: 'ledger'
    immutabilityPeriodDays: ledgerImmutabilityDays
    deleteRetentionDays: 30
    privateNetworkOnly: vnetEnabled
    workspaceId: monitoring.outputs.workspaceId
  }
}

// The Functions host: AzureWebJobsStorage (leases, timers), the Durable Functions task hub (queues, tables,
// large-message blobs) and the Flex Consumption deployment package. Separate from the ledger so the app's broad
// host permissions never reach ledger data.
module hostStorage '../bicep/storage.bicep' = {
  name: 'host-storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}host${resourceToken}'
    location: location
    tags: tags
    containers: [
      deploymentContainerName
    ]
    privateNetworkOnly: vnetEnabled
    workspaceId: monitoring.outputs.workspaceId
  }
}

module serviceBus '../bicep/servicebus.bicep' = {
  name: 'service-bus'
  scope: rg
  params: {
    name: '${abbrs.serviceBusNamespaces}healthflow-${resourceToken}'
    location: location
    tags: tags
    skuName: serviceBusSku
    privateNetworkOnly: vnetEnabled
    workspaceId: monitoring.outputs.workspaceId
  }
}

module keyVault '../bicep/keyvault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    privateNetworkOnly: vnetEnabled
    workspaceId: monitoring.outputs.workspaceId
  }
}

module rbac '../bicep/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    operatorPrincipalId: principalId
    operatorPrincipalType: principalType
    ledgerStorageAccountName: ledgerStorage.outputs.name
    hostStorageAccountName: hostStorage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Network (optional)
// ---------------------------------------------------------------------------------------------------------------

module network '../bicep/network.bicep' = if (vnetEnabled) {
  name: 'network'
  scope: rg
  params: {
    name: '${abbrs.networkVirtualNetworks}healthflow-${resourceToken}'
    location: location
    tags: tags
    hostingPlan: hostingPlan
    privateDnsZoneNames: privateDnsZoneNames
  }
}

// One entry per private endpoint: the target (resolved in the loop body), its groupId and the index of its zone in
// privateDnsZoneNames. Only literals and parameters here: a for-expression must be known when the deployment
// starts, and module outputs are not.
var privateEndpoints = concat([
  {
    name: 'ledger-blob'
    target: 'ledger'
    groupId: 'blob'
    zone: 0
  }
  {
    name: 'host-blob'
    target: 'host'
    groupId: 'blob'
    zone: 0
  }
  {
    name: 'host-queue'
    target: 'host'
    groupId: 'queue'
    zone: 1
  }
  {
    name: 'host-table'
    target: 'host'
    groupId: 'table'
    zone: 2
  }
  {
    name: 'vault'
    target: 'vault'
    groupId: 'vault'
    zone: 3
  }
], serviceBusSku == 'Premium' ? [
  {
    name: 'servicebus'
    target: 'servicebus'
    groupId: 'namespace'
    zone: 4
  }
] : [])

module endpoints '../bicep/private-endpoint.bicep' = [for endpoint in privateEndpoints: if (vnetEnabled) {
  name: 'pep-${endpoint.name}'
  scope: rg
  params: {
    name: '${abbrs.networkPrivateEndpoints}${endpoint.name}-${resourceToken}'
    location: location
    tags: tags
    subnetId: network!.outputs.privateEndpointSubnetId
    targetResourceId: endpoint.target == 'ledger' ? ledgerStorage.outputs.id : endpoint.target == 'host' ? hostStorage.outputs.id : endpoint.target == 'vault' ? keyVault.outputs.id : serviceBus.outputs.id
    groupId: endpoint.groupId
    privateDnsZoneId: network!.outputs.privateDnsZoneIds[endpoint.zone]
  }
}]

// ---------------------------------------------------------------------------------------------------------------
// Function app
// ---------------------------------------------------------------------------------------------------------------

// Settings whose values are secrets, mapped to their Key Vault secret names. bicep/functionapp.bicep turns each
// into a Key Vault reference: no value in any template, parameter file or output. The secrets are set by an
// operator after the first deployment (docs/AZURE.md, "Deploy to Azure").
var secretSettings = union({
  Ledger__PatientTokenKey: 'ledger-patient-token-key'
  Ledger__PayloadKey: 'ledger-payload-key'
  Admin__Key: 'admin-key'
  Erp__ClientSecret: 'erp-client-secret'
}, toObject(vendors, vendor => 'Vendors__${vendor}__Key', vendor => 'vendor-${vendor}-key'))

var healthFlowSettings = union({
  // Service Bus trigger and output connection "ServiceBusConnection", identity-based.
  ServiceBusConnection__fullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
  ServiceBusConnection__credential: 'managedidentity'
  ServiceBusConnection__clientId: identity.outputs.clientId
  // Ledger on Azure Blob Storage (HealthFlow.Ledger AzureBlobStore.FromTokenCredential).
  Ledger__ContainerUri: '${ledgerStorage.outputs.blobEndpoint}ledger'
  Ledger__RawContainerUri: '${ledgerStorage.outputs.blobEndpoint}raw'
  Ledger__ReportingContainerUri: '${ledgerStorage.outputs.blobEndpoint}reporting'
  Ledger__EncryptPayloads: 'true'
  // host.json reads %TaskHubName%: one hub per environment, so two environments never share orchestrations.
  TaskHubName: taskHubName
  HealthFlow__MaxBodyBytes: '67108864'
  Erp__Gateway: erpGateway
}, toObject(items(erpSettings), setting => 'Erp__${setting.key}', setting => string(setting.value)))

module functionApp '../bicep/functionapp.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}healthflow-${resourceToken}'
    location: location
    tags: functionTags
    planTags: tags
    hostingPlan: hostingPlan
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    hostStorageAccountName: hostStorage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
    alwaysReady: functionAlwaysReady
    appSettings: healthFlowSettings
    keyVaultUri: keyVault.outputs.uri
    secretSettings: secretSettings
    virtualNetworkSubnetId: vnetEnabled ? network!.outputs.appSubnetId : ''
    workspaceId: monitoring.outputs.workspaceId
  }
  // The app must not start before it may read its storage, bus and secrets.
  dependsOn: [
    rbac
  ]
}

// ---------------------------------------------------------------------------------------------------------------
// Alerts (KQL in infra/monitoring)
// ---------------------------------------------------------------------------------------------------------------

module alerts '../bicep/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    workspaceId: monitoring.outputs.workspaceId
    actionGroupName: '${abbrs.insightsActionGroups}healthflow-${environmentName}'
    alertEmails: alertEmails
    rules: [
      {
        name: '${abbrs.insightsScheduledQueryRules}dead-letters-${resourceToken}'
        displayName: 'HealthFlow ${environmentName}: dead-lettered messages'
        description: 'A Service Bus subscription holds dead-lettered messages (failed maxDeliveryCount times or expired).'
        severity: 1
        query: loadTextContent('monitoring/dead-letters.kql')
        operator: 'GreaterThan'
        threshold: 0
        evaluationFrequency: 'PT5M'
        windowSize: 'PT15M'
      }
      {
        name: '${abbrs.insightsScheduledQueryRules}exception-backlog-${resourceToken}'
        displayName: 'HealthFlow ${environmentName}: exception backlog'
        description: 'More open exceptions than tolerated are waiting in the exceptions workbench.'
        severity: 2
        query: replace(loadTextContent('monitoring/exception-backlog.kql'), '{exceptionBacklogMax}', string(exceptionBacklogMax))
        operator: 'GreaterThan'
        threshold: 0
        evaluationFrequency: 'PT15M'
        windowSize: 'PT30M'
      }
      {
        name: '${abbrs.insightsScheduledQueryRules}reconciliation-breaks-${resourceToken}'
        displayName: 'HealthFlow ${environmentName}: reconciliation breaks'
        description: 'Reconciliation found source, ledger and ERP disagreeing.'
        severity: 1
        query: loadTextContent('monitoring/reconciliation-breaks.kql')
        operator: 'GreaterThan'
        threshold: 0
        evaluationFrequency: 'PT1H'
        windowSize: 'P1D'
      }
      {
        name: '${abbrs.insightsScheduledQueryRules}posting-lag-${resourceToken}'
        displayName: 'HealthFlow ${environmentName}: posting-lag SLA'
        description: 'A journal took longer than the SLA from source event to ERP acknowledgement.'
        severity: 2
        query: replace(loadTextContent('monitoring/posting-lag.kql'), '{postingLagSlaSeconds}', string(postingLagSlaMinutes * 60))
        operator: 'GreaterThan'
        threshold: 0
        evaluationFrequency: 'PT15M'
        windowSize: 'PT1H'
      }
    ]
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Outputs: names and addresses only (azd stores them in .azure/<env>/.env). Never a key, secret or connection
// string: tests/HealthFlow.Infra.Tests fails the build if one appears.
// ---------------------------------------------------------------------------------------------------------------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = functionApp.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output SERVICE_BUS_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output LEDGER_STORAGE_ACCOUNT string = ledgerStorage.outputs.name
output HOST_STORAGE_ACCOUNT string = hostStorage.outputs.name
output MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
