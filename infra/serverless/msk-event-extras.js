
/**
 * Local Serverless plugin (listed under `plugins:` in serverless.yml): error handling for `msk`
 * events that the v3 `msk` event does not expose, written onto the AWS::Lambda::EventSourceMapping
 * it generates. Without `functionResponseTypes: [ReportBatchItemFailures]`, a consumer's
 * `batchItemFailures` answer is ignored and the whole batch counts as processed: records it asked
 * to retry would be committed, i.e. lost. Lambda honours these settings for Kafka sources only in
 * provisioned mode (`provisionedPollerConfig`), so the plugin refuses them without it.
 *
 *   - msk:
 *       ...
 *       functionResponseTypes: [ReportBatchItemFailures]
 *       maximumRetryAttempts: 10          # -1 = until the record expires from the topic
 *       maximumRecordAgeInSeconds: -1
 *       bisectBatchOnFunctionError: true
 *       onFailure: !GetAtt SomeQueue.Arn  # SQS / SNS / S3: where discarded batches are described
 */
const getMskClusterNameToken = require('osls/lib/plugins/aws/package/compile/events/msk/get-msk-cluster-name-token');

const PROPERTIES = {
  functionResponseTypes: { type: 'array', items: { enum: ['ReportBatchItemFailures'] }, maxItems: 1 },
  maximumRetryAttempts: { type: 'integer', minimum: -1, maximum: 10000 },
  maximumRecordAgeInSeconds: { type: 'integer', minimum: -1, maximum: 604800 },
  bisectBatchOnFunctionError: { type: 'boolean' },
  onFailure: { $ref: '#/definitions/awsArn' },
};

class MskEventExtras {
  constructor(serverless) {
    this.serverless = serverless;
    serverless.configSchemaHandler.defineFunctionEventProperties('aws', 'msk', { properties: PROPERTIES });
    this.hooks = { 'after:package:compileEvents': () => this.apply() };
  }

  apply() {
    const { service } = this.serverless;
    const naming = this.serverless.getProvider('aws').naming;
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    for (const functionName of service.getAllFunctions()) {
      for (const event of service.getFunction(functionName).events || []) {
        const msk = event.msk;
        if (!msk || !Object.keys(PROPERTIES).some((k) => msk[k] !== undefined)) continue;
        const id = naming.getMSKEventLogicalId(functionName, getMskClusterNameToken(msk.arn), msk.topic);
        const mapping = resources[id];
        if (!mapping) throw new Error(`msk-event-extras: no event source mapping ${id} for ${functionName}`);
        if (!msk.provisionedPollerConfig) {
          throw new Error(`msk-event-extras: ${functionName}: Kafka error handling needs provisionedPollerConfig (Lambda ignores it otherwise)`);
        }
        const p = mapping.Properties;
        if (msk.functionResponseTypes) p.FunctionResponseTypes = msk.functionResponseTypes;
        if (msk.maximumRetryAttempts !== undefined) p.MaximumRetryAttempts = msk.maximumRetryAttempts;
        if (msk.maximumRecordAgeInSeconds !== undefined) p.MaximumRecordAgeInSeconds = msk.maximumRecordAgeInSeconds;
        if (msk.bisectBatchOnFunctionError !== undefined) p.BisectBatchOnFunctionError = msk.bisectBatchOnFunctionError;
        if (msk.onFailure !== undefined) p.DestinationConfig = { OnFailure: { Destination: msk.onFailure } };
      }
    }
  }
}

module.exports = MskEventExtras;
