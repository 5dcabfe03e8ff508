// Service Bus namespace with the topics and subscriptions of ../topology.json, the file the embedded bus
// (HealthFlow.Pipeline) reads too: one list of names, delivery counts and lock durations for both hosts.
// Local (SAS) authentication is disabled: senders and receivers use managed identities (rbac.bicep).

@description('Namespace name (6-50 characters).')
@minLength(6)
@maxLength(50)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the namespace.')
param tags object

@description('Standard: 256 KB messages, shared capacity (about 1,000 operations/s). Premium: dedicated messaging units, 100 MB messages, private endpoints, availability zones.')
@allowed([
  'Standard'
  'Premium'
])
param skuName string = 'Standard'

@description('Messaging units of a Premium namespace (ignored for Standard).')
@allowed([
  1
  2
  4
  8
  16
])
param premiumCapacity int = 1

@description('When true (Premium only), the namespace takes traffic only through its private endpoint.')
param privateNetworkOnly bool = false

@description('How long an unconsumed message lives before it is dead-lettered (ISO 8601).')
param messageTimeToLive string = 'P14D'

@description('Window in which a resent message with the same MessageId (our idempotency key) is dropped (ISO 8601).')
param duplicateDetectionWindow string = 'PT10M'

@description('Log Analytics workspace that receives the namespace logs and metrics.')
param workspaceId string

var topology = loadJsonContent('../topology.json')

// One entry per (topic, subscription), with the index of its topic for the parent reference.
var subscriptions = flatten(map(range(0, length(topology.topics)), i => map(topology.topics[i].subscriptions, subscription => {
  topicIndex: i
  name: subscription.name
  maxDeliveryCount: subscription.maxDeliveryCount
  lockDuration: subscription.lockDuration
  requiresSession: subscription.requiresSession
})))

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuName
    capacity: skuName == 'Premium' ? premiumCapacity : null
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: (skuName == 'Premium' && privateNetworkOnly) ? 'Disabled' : 'Enabled'
    premiumMessagingPartitions: skuName == 'Premium' ? 1 : null
  }
}

resource topics 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = [for topic in topology.topics: {
  parent: namespace
  name: topic.name
  properties: {
    defaultMessageTimeToLive: messageTimeToLive
    // Publishers set MessageId to the event's idempotency key: a retried publish inside the window is dropped.
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
    supportOrdering: true
    enableBatchedOperations: true
    // 256 KB per message on Standard; Premium raises it. Events are batched per transaction set and large
    // payloads travel as a claim-check reference to their ledger record, never inline (docs/AZURE.md).
    maxMessageSizeInKilobytes: skuName == 'Premium' ? 1024 : null
  }
}]

resource topicSubscriptions 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = [for subscription in subscriptions: {
  parent: topics[subscription.topicIndex]
  name: subscription.name
  properties: {
    maxDeliveryCount: subscription.maxDeliveryCount
    lockDuration: subscription.lockDuration
    requiresSession: subscription.requiresSession
    defaultMessageTimeToLive: messageTimeToLive
    deadLetteringOnMessageExpiration: true
    deadLetteringOnFilterEvaluationExceptions: true
    enableBatchedOperations: true
  }
}]

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: namespace
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
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

output id string = namespace.id
output name string = namespace.name
// serviceBusEndpoint is https://<name>.servicebus.windows.net:443/ in the public cloud; the host name differs in
// sovereign clouds, so it is taken from the resource rather than written here.
output fullyQualifiedNamespace string = split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0]
output topicNames array = [for topic in topology.topics: topic.name]
