import type { Context } from 'aws-lambda';
import { deadlineFor } from './deadline';
import { InvocationMetrics } from './metrics';
import type { Telemetry } from './telemetry';

export interface Invocation {
  /** Epoch ms by which the work must be done (Lambda's deadline less the margin). */
  deadline: number;
  metrics: InvocationMetrics;
}

/**
 * What every invocation of every function does around its work: the request id on every line,
 * the deadline, and the metrics written once at the end whatever happened.
 */
export async function invoke<T>(telemetry: Telemetry, context: Context | undefined, marginMs: number, work: (inv: Invocation) => Promise<T>): Promise<T> {
  telemetry.startInvocation(context?.awsRequestId);
  const metrics = new InvocationMetrics();
  try {
    return await work({ deadline: deadlineFor(context, marginMs), metrics });
  } finally {
    telemetry.flush(metrics);
  }
}
