import type { FunctionConfig } from '../platform/config';
import { createTelemetry, type LineSink, type Telemetry } from '../platform/telemetry';

/** What a composition root lets a caller (a test, npm start, the bench) redirect. */
export interface HandlerIo {
  /** Where telemetry lines go: stdout in Lambda. */
  lineSink?: LineSink;
}

/** The function's telemetry as its configuration sets it up (namespace, function name, level). */
export function telemetryFor(config: Readonly<FunctionConfig>, io: HandlerIo = {}): Telemetry {
  return createTelemetry({
    namespace: config.metricsNamespace,
    functionName: config.functionName,
    level: config.logLevel,
    ...(io.lineSink && { sink: io.lineSink }),
  });
}
