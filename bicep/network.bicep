// Optional private networking (main.bicep: vnetEnabled). Two subnets: one delegated to the function app for
// outbound VNet integration, one for private endpoints. Private DNS zones resolve the private endpoints' addresses
// inside the VNet. Vendors still reach the public HTTPS endpoint of the function app: inbound stays public, the
// data plane (storage, Service Bus Premium, Key Vault) becomes private.

@description('Virtual network name.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to the network resources.')
param tags object

@description('FlexConsumption integrates through a Microsoft.App/environments delegation, ElasticPremium through Microsoft.Web/serverFarms.')
@allowed([
  'FlexConsumption'
  'ElasticPremium'
])
param hostingPlan string = 'FlexConsumption'

@description('Address space of the network.')
param addressPrefix string = '10.40.0.0/16'

@description('Subnet of the function app (outbound integration).')
param appSubnetPrefix string = '10.40.1.0/24'

@description('Subnet of the private endpoints.')
param privateEndpointSubnetPrefix string = '10.40.2.0/24'

@description('Private DNS zones to create and link, e.g. privatelink.blob.core.windows.net.')
param privateDnsZoneNames array

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          delegations: [
            {
              name: 'functions'
              properties: {
                serviceName: hostingPlan == 'FlexConsumption' ? 'Microsoft.App/environments' : 'Microsoft.Web/serverFarms'
              }
            }
          ]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2020-06-01' = [for zone in privateDnsZoneNames: {
  name: zone
  location: 'global'
  tags: tags
}]

resource links 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [for (zone, i) in privateDnsZoneNames: {
  parent: zones[i]
  name: '${name}-link'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}]

output id string = vnet.id
output appSubnetId string = '${vnet.id}/subnets/app'
output privateEndpointSubnetId string = '${vnet.id}/subnets/private-endpoints'
output privateDnsZoneIds array = [for (zone, i) in privateDnsZoneNames: zones[i].id]
