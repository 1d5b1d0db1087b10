/**
 * The provision-topics function: applies lib/domain/tiers.ts to the configured cluster, either as a
 * CloudFormation custom resource (Custom::KafkaTopics in serverless.yml: answers the ResponseURL
 * with SUCCESS / FAILED) or invoked directly (`serverless invoke -f provisionTopics`), returning
 * what it did. Deleting the custom resource never deletes topics: they hold data.
 */
import type { Context } from 'aws-lambda';
import type { Config } from '../platform/config';
import type { TopicAdmin } from '../domain/kafka';
import { provisionTopics } from '../domain/provision';
import { KafkaClient } from '../adapters/kafka/client';
import { createLogger, type Telemetry } from '../platform/telemetry';
import { telemetryFor, type HandlerIo } from './runtime';
import { eventShape, refuseEvent } from './event-shapes';
import { isCustomResourceEvent, runCustomResource, type CustomResourceEvent, type ResponseSender } from './custom-resource';

/** Direct invocation payload (all optional). Custom resource properties use the same names, capitalised. */
export interface ProvisionRequest {
  partitions?: number;
  mskServerless?: boolean;
}

export interface ProvisionDeps {
  config: Readonly<Config>;
  telemetry: Telemetry;
  /** A topic admin per run: its connection is closed after each (provisioning is rare). */
  admin(): TopicAdmin;
}

export function provisionDeps(config: Readonly<Config>, io: HandlerIo = {}): ProvisionDeps {
  const telemetry = telemetryFor(config, io);
  const kafka = new KafkaClient(config.kafka, telemetry.log);
  return { config, telemetry, admin: () => kafka.admin() };
}

const REQUEST_FIELDS = new Set(['partitions', 'mskServerless']);

/** No event, {}, or a ProvisionRequest: anything else (a queue, a stream, a schedule) was wired here by mistake. */
function isDirectRequest(event: unknown): boolean {
  const shape = eventShape(event);
  if (shape === 'direct') return true;
  return shape === 'unknown' && typeof event === 'object' && event !== null && !Array.isArray(event) && Object.keys(event).every((k) => REQUEST_FIELDS.has(k));
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

/**
 * `deps` is called on first use, not at module load: a configuration error must become a FAILED
 * response, not an init crash that leaves CloudFormation waiting for an answer that never comes.
 */
export function provisionTopicsHandler(deps: () => ProvisionDeps, opts: { send?: ResponseSender } = {}) {
  let built: ProvisionDeps | undefined;
  let requestId: string | undefined;
  const getDeps = () => {
    if (!built) (built = deps()).telemetry.startInvocation(requestId);
    return built;
  };

  async function provision(request: ProvisionRequest) {
    const { admin: adminFor, config, telemetry } = getDeps();
    const admin = adminFor();
    try {
      return await provisionTopics(admin, {
        prefix: config.topicPrefix,
        log: telemetry.log,
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
    const prefix = getDeps().config.topicPrefix;
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

  // Used before the config is known (it may be what is wrong): redacted like every other line.
  const fallbackLog = createLogger({ level: 'info', base: { function_name: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'provision-topics' } });

  return async (event: unknown, context?: Context) => {
    requestId = context?.awsRequestId;
    built?.telemetry.startInvocation(requestId);
    if (isCustomResourceEvent(event)) {
      return runCustomResource(event, {
        work: customResource,
        ...(context && { context }),
        ...(opts.send && { send: opts.send }),
        log: (msg, fields) => (built?.telemetry.log ?? fallbackLog).info(msg, fields),
      });
    }
    if (!isDirectRequest(event)) refuseEvent(getDeps().telemetry, getDeps().config.functionName, eventShape(event), ['custom-resource', 'direct']);
    const req = (event ?? {}) as Record<string, unknown>;
    const partitions = positiveInt('partitions', req.partitions);
    return provision({ ...(partitions && { partitions }), mskServerless: flag(req.mskServerless) });
  };
}
