/**
 * The CloudWatch dashboard (infra/serverless/dashboard.js) in the packaged template, read as
 * CloudFormation would render it (conditions.ts materialize, then Fn::Join / Fn::Sub), with and
 * without the optional Kinesis stream whose alarm is conditional. What it draws is checked against
 * what the code emits, found in lib/ by the TypeScript checker: the `telemetry.emit` documents and
 * the InvocationMetrics calls reachable from each function's entry point (functions/<bundle>.ts),
 * the latter replayed through InvocationMetrics itself so that its EMF output is the reference.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, test } from 'node:test';
import ts from 'typescript';
import type { RecordStatus } from '../../lib/domain/record';
import { INGEST_ROUTES } from '../../lib/domain/routes';
import { TIER_DELIVERY, TIERS } from '../../lib/domain/tiers';
import { InvocationMetrics } from '../../lib/platform/metrics';
import { materialize, type ParameterValues } from './conditions';
import { packaged, resourcesOfType, root, TEST_STAGE, type CfnTemplate, type Packaged } from './helpers';

const CRITICAL_STREAM = 'arn:aws:kinesis:eu-west-1:123456789012:stream/game-events';
const SCENARIOS: Record<string, ParameterValues> = {
  'default parameters': {},
  'with the critical Kinesis stream': { CriticalKinesisStreamArn: CRITICAL_STREAM },
};

// ─── The dashboard as deployed ──────────────────────────────────────────────────────────────────

/** `${X}` / `${X.Attr}` of Fn::Sub, and Ref / Fn::GetAtt of an alarm, as one comparable token. */
const token = (name: string) => `{{${name}}}`;
const tokenOf = (value: unknown): string => {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  if (v.Ref) return token(v.Ref);
  if (v['Fn::GetAtt']) return token(v['Fn::GetAtt'].join('.'));
  throw new Error(`no token for ${JSON.stringify(value)}`);
};

function renderText(node: unknown): string {
  if (typeof node === 'string') return node;
  const n = node as Record<string, any>;
  if (n['Fn::Sub'] !== undefined) {
    assert.equal(typeof n['Fn::Sub'], 'string', 'Fn::Sub of a plain string (no variable map)');
    return (n['Fn::Sub'] as string).replace(/\$\{(!?)([^}]*)\}/g, (_, bang: string, name: string) => (bang ? `\${${name}}` : token(name)));
  }
  if (n['Fn::Join'] !== undefined) {
    const [sep, parts] = n['Fn::Join'] as [string, unknown[]];
    return parts.map(renderText).join(sep);
  }
  throw new Error(`cannot render ${JSON.stringify(node).slice(0, 200)}`);
}

interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, any>;
}
interface Line {
  widget: Widget;
  namespace: string;
  name: string;
  dims: Record<string, string>;
  stat: string;
  period: number;
  visible: boolean;
  id?: string;
  label?: string;
  yAxis?: string;
}
interface Expression {
  widget: Widget;
  id: string;
  expression: string;
  label?: string;
  visible: boolean;
}

interface Dashboard {
  template: CfnTemplate;
  name: unknown;
  widgets: Widget[];
  lines: Line[];
  expressions: Expression[];
  /** Every `{{X}}` the body refers to. */
  refs: Set<string>;
}

function dashboardOf(t: CfnTemplate): Dashboard {
  const dashboards = resourcesOfType(t, 'AWS::CloudWatch::Dashboard');
  assert.equal(dashboards.length, 1, 'one dashboard');
  const [, d] = dashboards[0]!;
  const text = renderText(d.Properties!.DashboardBody);
  const body = JSON.parse(text) as { widgets: Widget[] };
  const lines: Line[] = [];
  const expressions: Expression[] = [];
  for (const widget of body.widgets.filter((w) => w.type === 'metric')) {
    for (const entry of widget.properties.metrics as unknown[][]) {
      const last = entry.at(-1);
      const options = (typeof last === 'object' && last !== null ? last : {}) as Record<string, any>;
      if (typeof entry[0] === 'object') {
        const e = entry[0] as Record<string, any>;
        expressions.push({ widget, id: e.id, expression: e.expression, label: e.label, visible: e.visible !== false });
        continue;
      }
      const fields = (entry.length % 2 === 1 ? entry.slice(0, -1) : entry) as string[];
      const [namespace, name, ...pairs] = fields;
      const dims: Record<string, string> = {};
      for (let i = 0; i < pairs.length; i += 2) dims[pairs[i]!] = pairs[i + 1]!;
      lines.push({
        widget,
        namespace: namespace!,
        name: name!,
        dims,
        stat: options.stat ?? widget.properties.stat,
        period: options.period ?? widget.properties.period,
        visible: options.visible !== false,
        id: options.id,
        label: options.label,
        yAxis: options.yAxis,
      });
    }
  }
  const refs = new Set([...text.matchAll(/\{\{([^}]+)\}\}/g)].map((m) => m[1]!));
  return { template: t, name: d.Properties!.DashboardName, widgets: body.widgets, lines, expressions, refs };
}

// ─── The stack's functions ──────────────────────────────────────────────────────────────────────

interface StackFunction {
  logicalId: string;
  bundle: string;
  namespace: string;
  timeoutSeconds: number;
  reserved?: number;
  /** Kafka topics of its event source mappings. */
  topics: string[];
}

function functionsOf(t: CfnTemplate): Map<string, StackFunction> {
  const esms = resourcesOfType(t, 'AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties!);
  return new Map(
    resourcesOfType(t, 'AWS::Lambda::Function').map(([logicalId, r]) => {
      const p = r.Properties!;
      const bundle = /^dist\/([\w-]+)\/index\.handler$/.exec(p.Handler)?.[1];
      assert.ok(bundle, `${logicalId}: handler ${p.Handler}`);
      const topics = esms.filter((e) => e.FunctionName?.['Fn::GetAtt']?.[0] === logicalId && e.AmazonManagedKafkaEventSourceConfig).flatMap((e) => e.Topics as string[]);
      return [logicalId, { logicalId, bundle, namespace: p.Environment.Variables.METRICS_NAMESPACE, timeoutSeconds: p.Timeout, reserved: p.ReservedConcurrentExecutions, topics }];
    }),
  );
}

/** The function a FunctionName dimension names, if it is one of the stack's. */
const functionNamed = (fns: Map<string, StackFunction>, value: string | undefined) => {
  const m = /^\{\{(\w+)\}\}$/.exec(value ?? '');
  return m ? fns.get(m[1]!) : undefined;
};

// ─── What the code emits ────────────────────────────────────────────────────────────────────────

/** One metric a function writes: its name and dimensions (a value where the code fixes it). */
interface Emitted {
  name: string;
  dims: Record<string, string | undefined>;
}

function literalValues(checker: ts.TypeChecker, type: ts.Type, where: string): (string | undefined)[] {
  return (type.isUnion() ? type.types : [type]).map((t) => {
    if (t.isStringLiteral()) return t.value;
    if (t.flags & ts.TypeFlags.Undefined) return undefined;
    throw new Error(`${where}: ${checker.typeToString(t)} is not a string literal: which metric is written cannot be told`);
  });
}

/**
 * Per function bundle, the metrics its code writes. Over-approximates within a function (every
 * call reachable from its entry point counts, taken or not), never across functions.
 */
function emittedByBundle(): Map<string, Emitted[]> {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  assert.ok(config);
  const entries = ts.sys.readDirectory(path.join(root, 'functions'), ['.ts']);
  const program = ts.createProgram(entries, config.options);
  const checker = program.getTypeChecker();
  const source = (rel: string) => {
    const sf = program.getSourceFile(path.join(root, rel));
    assert.ok(sf, `${rel} is in the program`);
    return sf;
  };
  const declared = <T extends ts.Node>(sf: ts.SourceFile, guard: (n: ts.Node) => n is T, name: string): T => {
    const found = sf.statements.find((s) => guard(s) && (s as unknown as { name?: ts.Identifier }).name?.text === name);
    assert.ok(found, `${name} in ${sf.fileName}`);
    return found as unknown as T;
  };
  const telemetry = declared(source('lib/platform/telemetry.ts'), ts.isInterfaceDeclaration, 'Telemetry');
  const emit = telemetry.members.find((m) => m.name?.getText() === 'emit');
  const metricsClass = declared(source('lib/platform/metrics.ts'), ts.isClassDeclaration, 'InvocationMetrics');
  const method = (name: string) => metricsClass.members.find((m) => ts.isMethodDeclaration(m) && m.name.getText() === name);
  const [add, gauge, addStatuses] = [method('add'), method('gauge'), method('addStatuses')];
  assert.ok(emit && add && gauge && addStatuses, 'Telemetry.emit and InvocationMetrics.add / gauge / addStatuses exist');
  const recordStatus = declared(source('lib/domain/record.ts'), ts.isInterfaceDeclaration, 'RecordStatus');
  const propType = (name: string) => {
    const p = recordStatus.members.find((m): m is ts.PropertySignature => ts.isPropertySignature(m) && m.name.getText() === name);
    assert.ok(p?.type, `RecordStatus.${name}`);
    return literalValues(checker, checker.getTypeFromTypeNode(p.type), `RecordStatus.${name}`);
  };
  const statusKinds = propType('status') as RecordStatus['status'][];
  const statusTiers = [...propType('tier'), undefined] as RecordStatus['tier'][];

  const closure = (entry: string) => {
    const seen = new Set<string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const st of program.getSourceFile(file)?.statements ?? []) {
        const spec = ts.isImportDeclaration(st) || ts.isExportDeclaration(st) ? st.moduleSpecifier : undefined;
        if (!spec || !ts.isStringLiteral(spec)) continue;
        const resolved = ts.resolveModuleName(spec.text, file, config.options, ts.sys).resolvedModule;
        if (resolved && !resolved.isExternalLibraryImport && !resolved.resolvedFileName.endsWith('.d.ts')) walk(resolved.resolvedFileName);
      }
    };
    walk(entry);
    return seen;
  };

  const out = new Map<string, Emitted[]>();
  for (const entry of entries) {
    const emitted: Emitted[] = [];
    const replay = new InvocationMetrics();
    const visit = (n: ts.Node): void => {
      // InvocationMetrics' own calls are its implementation: replayed below, not read.
      if (n === metricsClass) return;
      if (ts.isCallExpression(n)) {
        const where = `${path.relative(root, n.getSourceFile().fileName)}:${n.getSourceFile().getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
        const decl = checker.getResolvedSignature(n)?.declaration;
        const arg = (i: number) => literalValues(checker, checker.getTypeAtLocation(n.arguments[i]!), where);
        if (decl === emit) {
          const doc = checker.getTypeAtLocation(n.arguments[0]!);
          for (const t of doc.isUnion() ? doc.types : [doc]) {
            const keys = (prop: string) => {
              const s = t.getProperty(prop);
              return s ? checker.getTypeOfSymbolAtLocation(s, n).getProperties().map((p) => p.name) : [];
            };
            const dims = Object.fromEntries(keys('dimensions').map((k) => [k, undefined]));
            for (const name of keys('metrics')) emitted.push({ name, dims });
          }
        } else if (decl === add) {
          for (const tier of arg(0)) for (const name of arg(1)) replay.add(tier as never, name as never);
        } else if (decl === gauge) {
          for (const tier of arg(0)) for (const name of arg(1)) replay.gauge(tier as never, name as never, 0);
        } else if (decl === addStatuses) {
          replay.addStatuses(statusKinds.flatMap((status) => statusTiers.map((tier): RecordStatus => ({ index: 0, status, ...(tier && { tier }) }))));
        }
      }
      ts.forEachChild(n, visit);
    };
    for (const file of closure(entry)) {
      const sf = program.getSourceFile(file);
      if (sf && ['lib', 'functions'].some((dir) => file.startsWith(path.join(root, dir) + path.sep))) visit(sf);
    }
    for (const line of replay.toEmf('namespace', 'function')) {
      const doc = JSON.parse(line);
      const [declaration] = doc._aws.CloudWatchMetrics;
      for (const m of declaration.Metrics) {
        emitted.push({ name: m.Name, dims: Object.fromEntries(declaration.Dimensions[0].map((k: string) => [k, k === 'FunctionName' ? undefined : doc[k]])) });
      }
    }
    out.set(path.basename(entry, '.ts'), emitted);
  }
  return out;
}

const sameKeys = (a: Record<string, unknown>, b: Record<string, unknown>) => JSON.stringify(Object.keys(a).sort()) === JSON.stringify(Object.keys(b).sort());
const emits = (list: Emitted[], line: Pick<Line, 'name' | 'dims'>) =>
  list.some((e) => e.name === line.name && sameKeys(e.dims, line.dims) && Object.entries(e.dims).every(([k, v]) => v === undefined || line.dims[k] === v));

// ─── Tests ──────────────────────────────────────────────────────────────────────────────────────

let pkg: Packaged;
let emitted: Map<string, Emitted[]>;
const views = new Map<string, Dashboard>();
before(async () => {
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[k];
  pkg = await packaged();
  for (const [scenario, params] of Object.entries(SCENARIOS)) views.set(scenario, dashboardOf(materialize(pkg.template, params)));
  emitted = emittedByBundle();
});
const each = (check: (d: Dashboard, scenario: string) => void) => {
  for (const [scenario, d] of views) check(d, scenario);
};

test('the stack has one dashboard, named <service>-<stage>-<region> (dashboards are global), with its URL as an output', () => {
  each((d) => {
    assert.deepEqual(d.name, { 'Fn::Sub': `edge-forwarder-${TEST_STAGE}-\${AWS::Region}` });
    assert.match(renderText(d.template.Outputs?.DashboardUrl?.Value), /#dashboards\/dashboard\/\{\{Dashboard\}\}$/);
  });
});

test('the body refers only to resources that exist for those parameters (conditional ones only when their condition holds)', () => {
  each((d, scenario) => {
    for (const ref of d.refs) {
      const [id, attr] = ref.split('.');
      if (id!.startsWith('AWS::')) continue;
      assert.ok(d.template.Resources[id!], `${scenario}: ${ref} is a resource of the stack`);
      if (attr) assert.equal(attr, 'QueueName', `${scenario}: ${ref}`);
    }
  });
  assert.ok(views.get('with the critical Kinesis stream')!.refs.has('IngestCriticalKinesisIteratorAgeAlarm'));
  assert.ok(!views.get('default parameters')!.refs.has('IngestCriticalKinesisIteratorAgeAlarm'));
});

test('every metric of the functions\u2019 namespace it draws is one the code of that function emits, in its namespace', () => {
  const codeEmits = (bundle: string) => emitted.get(bundle) ?? assert.fail(`no functions/${bundle}.ts`);
  // The analysis itself: what each kind of function is known to write.
  assert.ok(emits(codeEmits('ingest-logs'), { name: 'Dropped', dims: { FunctionName: 'x', Tier: 'logs' } }));
  assert.ok(emits(codeEmits('ingest-critical'), { name: 'Rejected', dims: { FunctionName: 'x', Tier: 'unrouted' } }));
  assert.ok(emits(codeEmits('outbox-relay'), { name: 'OldestPendingAgeMs', dims: { FunctionName: 'x', Tier: 'critical' } }));
  assert.ok(!emits(codeEmits('outbox-relay'), { name: 'OldestPendingAgeMs', dims: { FunctionName: 'x', Tier: 'logs' } }));
  assert.ok(emits(codeEmits('audit-critical'), { name: 'Audited', dims: { FunctionName: 'x', Topic: 't' } }));
  assert.ok(!emits(codeEmits('consume-realtime'), { name: 'Audited', dims: { FunctionName: 'x', Topic: 't' } }));

  each((d, scenario) => {
    const fns = functionsOf(d.template);
    const namespaces = new Set([...fns.values()].map((f) => f.namespace));
    const own = d.lines.filter((l) => !l.namespace.startsWith('AWS/'));
    assert.ok(own.length > 50, `${scenario}: the dashboard draws the functions' metrics`);
    for (const line of own) {
      const what = `${scenario}: ${line.namespace} ${line.name} ${JSON.stringify(line.dims)} in "${line.widget.properties.title}"`;
      assert.ok(namespaces.has(line.namespace), `${what}: a namespace the functions write to`);
      const fn = functionNamed(fns, line.dims.FunctionName);
      assert.ok(fn, `${what}: FunctionName is a function of the stack`);
      assert.equal(line.namespace, fn.namespace, `${what}: the function's METRICS_NAMESPACE`);
      assert.ok(emits(codeEmits(fn.bundle), line), `${what}: emitted by the code of ${fn.bundle}`);
      if (line.dims.Topic !== undefined) assert.ok(fn.topics.includes(line.dims.Topic), `${what}: a topic ${fn.logicalId} consumes`);
    }
  });
});

test('every function of the stack has its Lambda widgets: duration (with its timeout), errors, throttles, concurrency (with its reserved concurrency)', () => {
  each((d, scenario) => {
    const fns = functionsOf(d.template);
    assert.ok(fns.size > 0);
    for (const fn of fns.values()) {
      const drawn = (name: string) => d.lines.filter((l) => l.namespace === 'AWS/Lambda' && l.name === name && l.visible && l.dims.FunctionName === token(fn.logicalId) && sameKeys(l.dims, { FunctionName: 1 }));
      for (const name of ['Duration', 'Errors', 'Throttles', 'ConcurrentExecutions']) assert.ok(drawn(name).length, `${scenario}: ${fn.logicalId} ${name}`);
      assert.deepEqual(drawn('Duration').map((l) => l.stat).sort(), ['Average', 'Maximum', 'p99'], `${fn.logicalId}: duration statistics`);
      const limit = (name: string) => drawn(name)[0]!.widget.properties.annotations?.horizontal?.filter((a: any) => !/\{\{/.test(a.label)) ?? [];
      assert.deepEqual(limit('Duration').map((a: any) => a.value), [fn.timeoutSeconds * 1000], `${fn.logicalId}: its timeout is drawn`);
      assert.deepEqual(limit('ConcurrentExecutions').map((a: any) => a.value), fn.reserved === undefined ? [] : [fn.reserved], `${fn.logicalId}: its reserved concurrency`);
    }
  });
});

test('both MSK consumers\u2019 offset lag (AWS/Lambda OffsetLag of the function of each Kafka event source mapping) is drawn', () => {
  each((d, scenario) => {
    const kafka = resourcesOfType(d.template, 'AWS::Lambda::EventSourceMapping').filter(([, r]) => r.Properties?.AmazonManagedKafkaEventSourceConfig);
    assert.equal(kafka.length, 2, 'two MSK consumers');
    for (const [id, r] of kafka) {
      const fn = r.Properties!.FunctionName['Fn::GetAtt'][0];
      const lag = d.lines.filter((l) => l.namespace === 'AWS/Lambda' && l.name === 'OffsetLag' && l.visible && l.dims.FunctionName === token(fn));
      assert.equal(lag.length, 1, `${scenario}: ${id}: OffsetLag of ${fn}`);
      assert.equal(lag[0]!.stat, 'Maximum');
    }
  });
});

test('every alarm has its threshold drawn, equal to the alarm\u2019s, on a widget drawing the alarm\u2019s own metric, statistic and period; and its state', () => {
  const FILL: Record<string, string> = { GreaterThanThreshold: 'above', GreaterThanOrEqualToThreshold: 'above', LessThanThreshold: 'below', LessThanOrEqualToThreshold: 'below' };
  each((d, scenario) => {
    const alarms = resourcesOfType(d.template, 'AWS::CloudWatch::Alarm');
    assert.ok(alarms.length >= 25, `${scenario}: the alarms are in the template`);
    const status = d.widgets.filter((w) => w.type === 'alarm').flatMap((w) => w.properties.alarms as string[]);
    for (const [id, alarm] of alarms) {
      const p = alarm.Properties!;
      const what = `${scenario}: ${id}`;
      assert.ok(status.includes(`arn:{{AWS::Partition}}:cloudwatch:{{AWS::Region}}:{{AWS::AccountId}}:alarm:${token(id)}`), `${what}: in the alarm status widget`);
      const shownOn = d.widgets.filter((w) => (w.properties.annotations?.horizontal ?? []).some((a: any) => a.label.split(' / ').includes(token(id))));
      assert.ok(shownOn.length, `${what}: its threshold is drawn`);
      for (const w of shownOn) {
        const annotation = w.properties.annotations.horizontal.find((a: any) => a.label.split(' / ').includes(token(id)));
        assert.equal(annotation.value, Number(p.Threshold), `${what}: threshold on "${w.properties.title}"`);
        assert.equal(annotation.fill, FILL[p.ComparisonOperator], `${what}: shaded on the alarming side`);
        const lines = d.lines.filter((l) => l.widget === w);
        const sameMetric = (l: Line, m: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] }) =>
          l.namespace === m.Namespace &&
          l.name === m.MetricName &&
          JSON.stringify(l.dims) === JSON.stringify(Object.fromEntries((m.Dimensions ?? []).map((x) => [x.Name, tokenOf(x.Value)])));
        if (p.Metrics) {
          for (const m of p.Metrics as any[]) {
            if (m.Expression) {
              assert.ok(d.expressions.some((e) => e.widget === w && e.id === m.Id && e.expression === m.Expression), `${what}: expression ${m.Id}`);
            } else {
              const s = m.MetricStat;
              assert.ok(
                lines.some((l) => l.id === m.Id && sameMetric(l, s.Metric) && l.stat === s.Stat && l.period === s.Period),
                `${what}: metric ${m.Id} with its statistic and period`,
              );
            }
          }
        } else {
          assert.ok(
            lines.some((l) => l.visible && sameMetric(l, p as any) && l.stat === (p.Statistic ?? p.ExtendedStatistic) && l.period === p.Period),
            `${what}: "${w.properties.title}" draws ${p.MetricName} with the alarm's statistic (${p.Statistic}) and period (${p.Period})`,
          );
        }
      }
    }
  });
});

test('per tier: received, forwarded, dropped (at-most-once) or persisted / retry (at-least-once), rejected, summed over every ingest function; refused requests; the outbox', () => {
  each((d, scenario) => {
    const fns = [...functionsOf(d.template).values()];
    const ingest = fns.filter((f) => Object.hasOwn(INGEST_ROUTES, f.bundle)).map((f) => token(f.logicalId));
    const relay = fns.filter((f) => f.bundle === 'outbox-relay').map((f) => token(f.logicalId));
    assert.equal(ingest.length, Object.keys(INGEST_ROUTES).length);
    for (const tier of TIERS) {
      const atLeastOnce = TIER_DELIVERY[tier].guarantee === 'at-least-once';
      const names = ['Received', 'Forwarded', 'Rejected', ...(atLeastOnce ? ['Persisted', 'Retry'] : ['Dropped'])];
      for (const name of names) {
        const sums = d.expressions.filter((e) => {
          const inputs = d.lines.filter((l) => l.widget === e.widget && !l.visible && l.id && new RegExp(`\\b${l.id}\\b`).test(e.expression));
          const summed = inputs.filter((l) => l.name === name && l.dims.Tier === tier && l.stat === 'Sum').map((l) => l.dims.FunctionName);
          return e.visible && inputs.length === summed.length && ingest.every((f) => summed.includes(f));
        });
        assert.ok(sums.length, `${scenario}: ${tier} ${name} summed over ${ingest.join(', ')}`);
        if (atLeastOnce && name === 'Forwarded') {
          assert.ok(
            sums.some((e) => d.lines.some((l) => l.widget === e.widget && l.name === 'Forwarded' && l.dims.Tier === tier && relay.includes(l.dims.FunctionName!))),
            `${scenario}: the relay's deliveries count as ${tier} forwarded`,
          );
        }
      }
    }
    for (const f of ingest) assert.ok(d.lines.some((l) => l.visible && l.name === 'Rejected' && l.dims.Tier === 'unrouted' && l.dims.FunctionName === f), `${f}: refused requests`);
    for (const name of ['OldestPendingAgeMs', 'Pending', 'DeadEntries']) {
      assert.ok(d.lines.some((l) => l.visible && l.name === name && l.dims.Tier === 'critical' && relay.includes(l.dims.FunctionName!) && l.stat === 'Maximum'), `${scenario}: relay ${name}`);
    }
  });
});

test('the layout fits the 24-column grid without overlaps; metric widgets name their region; expression ids are unique and defined', () => {
  each((d, scenario) => {
    const cells = new Map<string, string>();
    for (const w of d.widgets) {
      const name = `${w.type} "${w.properties.title ?? w.properties.markdown?.slice(0, 30)}"`;
      assert.ok(Number.isInteger(w.x) && Number.isInteger(w.y) && w.x >= 0 && w.y >= 0 && w.width >= 1 && w.height >= 1, `${scenario}: ${name} is placed`);
      assert.ok(w.x + w.width <= 24, `${scenario}: ${name} fits 24 columns`);
      for (let x = w.x; x < w.x + w.width; x++) {
        for (let y = w.y; y < w.y + w.height; y++) {
          const cell = `${x},${y}`;
          assert.ok(!cells.has(cell), `${scenario}: ${name} overlaps ${cells.get(cell)}`);
          cells.set(cell, name);
        }
      }
      if (w.type !== 'metric') continue;
      assert.equal(w.properties.region, '{{AWS::Region}}', `${name}: region`);
      const ids = [...d.lines.filter((l) => l.widget === w && l.id).map((l) => l.id!), ...d.expressions.filter((e) => e.widget === w).map((e) => e.id)];
      assert.equal(new Set(ids).size, ids.length, `${name}: unique ids`);
      for (const id of ids) assert.match(id, /^[a-z][a-zA-Z0-9_]*$/, `${name}: metric math id ${id}`);
      for (const e of d.expressions.filter((x) => x.widget === w)) {
        // Metric math functions are upper case (FILL); ids start lower case.
        for (const used of e.expression.match(/\b[a-z][a-zA-Z0-9_]*\b/g) ?? []) {
          assert.ok(ids.includes(used), `${name}: ${e.id} uses ${used}, defined in the widget`);
        }
      }
    }
  });
});
