// Azure Monitor log alerts (scheduled query rules) over the Log Analytics workspace, plus an action group that
// e-mails the on-call finance-operations address. The queries live in infra/monitoring/*.kql; main.bicep loads
// them with loadTextContent and passes one object per rule.

@description('Azure region of the rules.')
param location string

@description('Tags applied to the rules and the action group.')
param tags object

@description('Log Analytics workspace the queries run against.')
param workspaceId string

@description('Action group name.')
param actionGroupName string

@description('Addresses that receive the alerts; empty for rules without notification (visible in the portal only).')
param alertEmails array = []

@description('Rules: { name, displayName, description, severity (0-4), query, operator, threshold, evaluationFrequency, windowSize }. Each query returns rows; the rule fires when the row count crosses the threshold.')
param rules array

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmails)) {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take(actionGroupName, 12)
    enabled: true
    emailReceivers: [for (email, i) in alertEmails: {
      name: 'email-${i}'
      emailAddress: email
      useCommonAlertSchema: true
    }]
  }
}

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for rule in rules: {
  name: rule.name
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: rule.displayName
    description: rule.description
    severity: rule.severity
    enabled: true
    scopes: [
      workspaceId
    ]
    evaluationFrequency: rule.evaluationFrequency
    windowSize: rule.windowSize
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: 'Count'
          operator: rule.operator
          threshold: rule.threshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: empty(alertEmails) ? [] : [
        actionGroup!.id
      ]
    }
  }
}]

output ruleNames array = [for (rule, i) in rules: alertRules[i].name]
