
/**
 * Errors and Throttles alarms (AWS/Lambda, Sum > 0 over 5 minutes) for every function in
 * serverless.yml, so a function added later is covered without touching this file. Used from
 * serverless.yml as `resources: - ${file(infra/serverless/function-alarms.js)}`.
 */
module.exports = async ({ resolveConfigurationProperty }) => {
  const functions = (await resolveConfigurationProperty(['functions'])) || {};
  const upperFirst = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  // Serverless' logical id of a function: `${NormalizedName}LambdaFunction`.
  const logicalId = (name) => `${upperFirst(name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore'))}LambdaFunction`;
  // AlarmTopicArn / HasAlarmTopic: see alarms.yml.
  const actions = { 'Fn::If': ['HasAlarmTopic', [{ Ref: 'AlarmTopicArn' }], { Ref: 'AWS::NoValue' }] };
  const Resources = {};
  for (const name of Object.keys(functions)) {
    for (const metric of ['Errors', 'Throttles']) {
      Resources[`${upperFirst(name)}${metric}Alarm`] = {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmDescription: `${name}: ${metric.toLowerCase()} in the last 5 minutes`,
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(name) } }],
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: actions,
          OKActions: actions,
        },
      };
    }
  }
  return { Resources };
};
