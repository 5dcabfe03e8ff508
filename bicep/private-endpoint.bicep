// One private endpoint for one sub-resource (groupId) of a resource, registered in its private DNS zone.

@description('Private endpoint name.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to the endpoint.')
param tags object

@description('Subnet of the endpoint.')
param subnetId string

@description('Resource the endpoint connects to.')
param targetResourceId string

@description('Sub-resource: blob, queue, table, namespace, vault.')
param groupId string

@description('Private DNS zone that receives the endpoint\'s A record.')
param privateDnsZoneId string

resource endpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    subnet: {
      id: subnetId
    }
    privateLinkServiceConnections: [
      {
        name: name
        properties: {
          privateLinkServiceId: targetResourceId
          groupIds: [
            groupId
          ]
        }
      }
    ]
  }
}

resource dnsGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: groupId
        properties: {
          privateDnsZoneId: privateDnsZoneId
        }
      }
    ]
  }
}

output id string = endpoint.id
