/**
 * CloudFormation custom resources without a dependency: recognise the request, run the work within
 * the invocation's time budget, and always PUT a SUCCESS / FAILED response to the pre-signed
 * ResponseURL. A custom resource that never answers leaves its stack waiting (up to an hour by
 * default), so every path, including a throw or running out of time, ends in a response.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Context } from 'aws-lambda';

export type CustomResourceRequestType = 'Create' | 'Update' | 'Delete';

export interface CustomResourceEvent {
  RequestType: CustomResourceRequestType;
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  ResourceType: string;
  /** Absent on Create; what we returned before on Update and Delete. */
  PhysicalResourceId?: string;
  ResourceProperties: Record<string, unknown>;
  OldResourceProperties?: Record<string, unknown>;
}

export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}

export interface CustomResourceOutcome {
  physicalResourceId: string;
  /** Values for Fn::GetAtt on the custom resource (strings only; CloudFormation caps the total at 4 KB). */
  data?: Record<string, string>;
}

export function isCustomResourceEvent(event: unknown): event is CustomResourceEvent {
  if (!event || typeof event !== 'object') return false;
  const e = event as Partial<CustomResourceEvent>;
  return (
    (e.RequestType === 'Create' || e.RequestType === 'Update' || e.RequestType === 'Delete') &&
    typeof e.ResponseURL === 'string' &&
    typeof e.StackId === 'string' &&
    typeof e.RequestId === 'string' &&
    typeof e.LogicalResourceId === 'string'
  );
}

/** Sends the response body to the pre-signed S3 URL (PUT, empty content type, as the URL was signed). */
export type ResponseSender = (url: string, body: string) => Promise<void>;

/** The real sender. CloudFormation's URLs are https; plain http is accepted for local tests. */
export const putResponse: ResponseSender = (url, body) =>
  new Promise((resolve, reject) => {
    const request = url.startsWith('http://') ? httpRequest : httpsRequest;
    const req = request(
      url,
      {
        method: 'PUT',
        headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`ResponseURL answered HTTP ${status}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('ResponseURL timed out')));
    req.on('error', reject);
    req.end(body);
  });

/** Trims a reason to what CloudFormation shows (the whole response must stay under 4 KB). */
function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}

export interface RunCustomResourceOptions {
  /** Does the work for Create / Update / Delete; a throw or a timeout becomes FAILED with the message. */
  work: (event: CustomResourceEvent) => Promise<CustomResourceOutcome>;
  context?: Pick<Context, 'getRemainingTimeInMillis' | 'logStreamName'>;
  /** Kept free before the Lambda deadline to send the response. Default 5 s. */
  responseMarginMs?: number;
  send?: ResponseSender;
  /** PUT attempts (with 1 s, 2 s, ... pauses): the response is the one thing that must get through. */
  attempts?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Runs one custom resource request and answers CloudFormation. Returns the response it sent;
 * rejects only when the response itself could not be delivered (then Lambda logs the error and
 * CloudFormation times the resource out, the only thing left to happen).
 */
export async function runCustomResource(event: CustomResourceEvent, opts: RunCustomResourceOptions): Promise<CustomResourceResponse> {
  const log = opts.log ?? (() => undefined);
  const fallbackId = event.PhysicalResourceId ?? `${event.LogicalResourceId}-failed-${event.RequestId}`;
  const budgetMs = opts.context ? opts.context.getRemainingTimeInMillis() - (opts.responseMarginMs ?? 5_000) : undefined;
  let response: CustomResourceResponse;
  let timer: NodeJS.Timeout | undefined;
  try {
    const work = opts.work(event);
    const outcome =
      budgetMs === undefined
        ? await work
        : await Promise.race([
            work,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no result within ${Math.max(budgetMs, 0)} ms (Lambda timeout is near)`)), Math.max(budgetMs, 0));
            }),
          ]);
    response = {
      Status: 'SUCCESS',
      PhysicalResourceId: outcome.physicalResourceId,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      ...(outcome.data && { Data: outcome.data }),
    };
  } catch (err) {
    const where = opts.context ? ` (see CloudWatch log stream ${opts.context.logStreamName})` : '';
    response = {
      Status: 'FAILED',
      Reason: `${reasonOf(err)}${where}`,
      PhysicalResourceId: fallbackId,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
    };
  } finally {
    if (timer) clearTimeout(timer);
  }
  log(`custom resource ${event.RequestType} ${response.Status}`, { reason: response.Reason, physicalResourceId: response.PhysicalResourceId });
  const send = opts.send ?? putResponse;
  const attempts = opts.attempts ?? 3;
  const body = JSON.stringify(response);
  for (let attempt = 1; ; attempt++) {
    try {
      await send(event.ResponseURL, body);
      return response;
    } catch (err) {
      if (attempt >= attempts) throw new Error(`could not deliver the ${response.Status} response to CloudFormation: ${reasonOf(err)}`);
      log('custom resource response failed, retrying', { attempt, error: reasonOf(err) });
      await new Promise((r) => setTimeout(r, 1_000 * attempt));
    }
  }
}
