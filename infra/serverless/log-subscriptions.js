
/**
 * CloudWatch Logs subscriptions of ingest-logs, one per log group in the `cloudWatchLogGroups`
 * param (comma-separated, or a YAML list in serverless.yml's params). Rendered here rather than as
 * `cloudwatchLog` events so the list can come from `--param` and each group gets its own
 * invoke permission scoped to exactly that group (the v3 event shares one wildcard permission).
 * Used from serverless.yml as `resources: - ${file(infra/serverless/log-subscriptions.js)}`.
 */
const { createHash } = require('node:crypto');

function groupsOf(value) {
  const list = Array.isArray(value) ? value : String(value ?? '').split(',');
  return [...new Set(list.map((g) => String(g).trim()).filter(Boolean))];
}

module.exports = async ({ resolveVariable }) => {
  const groups = groupsOf(await resolveVariable('param:cloudWatchLogGroups'));
  const service = await resolveVariable('self:service');
  const Resources = {};
  for (const group of groups) {
    if (!/^[\w\-./#]{1,512}$/.test(group)) throw new Error(`cloudWatchLogGroups: "${group}" is not a log group name`);
    // Subscribing the forwarder to its own logs would feed every invocation back into itself.
    if (group.startsWith(`/aws/lambda/${service}-`)) throw new Error(`cloudWatchLogGroups: ${group} is this service's own log group`);
    const id = group.replace(/[^A-Za-z0-9]/g, '').slice(0, 40) + createHash('sha256').update(group).digest('hex').slice(0, 8);
    Resources[`IngestLogsPermission${id}`] = {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': ['IngestLogsLambdaFunction', 'Arn'] },
        Principal: 'logs.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: { 'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:${group}:*` },
      },
    };
    Resources[`IngestLogsSubscription${id}`] = {
      Type: 'AWS::Logs::SubscriptionFilter',
      DependsOn: [`IngestLogsPermission${id}`],
      Properties: {
        LogGroupName: group,
        FilterPattern: '',
        DestinationArn: { 'Fn::GetAtt': ['IngestLogsLambdaFunction', 'Arn'] },
      },
    };
  }
  return { Resources };
};
