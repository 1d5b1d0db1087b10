/**
 * The provision-topics function: applies lib/domain/tiers.ts to the configured cluster, either as a
 * CloudFormation custom resource (Custom::KafkaTopics in serverless.yml: answers the ResponseURL
 * with SUCCESS / FAILED) or invoked directly (`serverless invoke -f provisionTopics`), returning
 * what it did. Deleting the custom resource never deletes topics: they hold data.
 */
import type { Context } from 'aws-lambda';
import type { Env } from '../platform/env';
import type { TopicAdmin } from '../domain/kafka';
import { provisionTopics } from '../domain/provision';
import { createRuntime, type Runtime } from './runtime';
import { isCustomResourceEvent, runCustomResource, type CustomResourceEvent, type ResponseSender } from './custom-resource';

/** Direct invocation payload (all optional). Custom resource properties use the same names, capitalised. */
export interface ProvisionRequest {
  partitions?: number;
  mskServerless?: boolean;
}

export interface ProvisionOverrides {
  admin?: (runtime: Runtime) => TopicAdmin;
  send?: ResponseSender;
}

/** CloudFormation passes every property as a string. */
function flag(value: unknown): boolean {
  return value === true || value === 'true';
}

function positiveInt(name: string, value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

export function createProvisionTopicsHandler(env: Env = process.env, overrides: ProvisionOverrides = {}) {
  // Built on first use, not at module load: a configuration error must become a FAILED response,
  // not an init crash that leaves CloudFormation waiting for an answer that never comes.
  let runtime: Runtime | undefined;
  const getRuntime = () => (runtime ??= createRuntime(env));

  async function provision(request: ProvisionRequest) {
    const rt = getRuntime();
    const admin = overrides.admin ? overrides.admin(rt) : rt.kafka.admin();
    try {
      return await provisionTopics(admin, {
        prefix: rt.config.topicPrefix,
        log: rt.telemetry.log,
        ...(request.partitions && { partitions: request.partitions }),
        ...(request.mskServerless && { mskServerless: true }),
      });
    } finally {
      await admin.disconnect();
    }
  }

  async function customResource(event: CustomResourceEvent) {
    if (event.RequestType === 'Delete') {
      return { physicalResourceId: event.PhysicalResourceId ?? `kafka-topics-${event.RequestId}` };
    }
    const props = event.ResourceProperties;
    const prefix = getRuntime().config.topicPrefix;
    if (props.TopicPrefix !== undefined && props.TopicPrefix !== prefix) {
      throw new Error(`TopicPrefix ${JSON.stringify(props.TopicPrefix)} differs from the function's TOPIC_PREFIX ${JSON.stringify(prefix)}`);
    }
    const partitions = positiveInt('Partitions', props.Partitions);
    const result = await provision({ ...(partitions && { partitions }), mskServerless: flag(props.MskServerless) });
    return {
      physicalResourceId: `kafka-topics:${prefix}`,
      data: {
        Topics: result.results.map((r) => r.topic).join(','),
        Actions: result.results.map((r) => `${r.topic}=${r.action}`).join(','),
      },
    };
  }

  return async (event: unknown, context?: Context) => {
    if (isCustomResourceEvent(event)) {
      return runCustomResource(event, {
        work: customResource,
        ...(context && { context }),
        ...(overrides.send && { send: overrides.send }),
        log: (msg, fields) => console.log(JSON.stringify({ level: 'info', msg, ...fields })),
      });
    }
    const req = (event && typeof event === 'object' ? event : {}) as Record<string, unknown>;
    const partitions = positiveInt('partitions', req.partitions);
    return provision({ ...(partitions && { partitions }), mskServerless: flag(req.mskServerless) });
  };
}
