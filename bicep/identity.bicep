// User-assigned managed identity of the function app. User-assigned rather than system-assigned so the role
// assignments (rbac.bicep) can be created in the same deployment before the app starts, and so the identity
// survives a re-created app (its principal id, and therefore every assignment, stays the same).

@description('Name of the identity.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to the identity.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
