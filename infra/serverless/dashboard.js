/**
 * The stack's CloudWatch dashboard (README "Metrics"), named <service>-<stage>-<region> because
 * dashboards are global to the account. Used from serverless.yml as
 * `resources: - ${file(infra/serverless/dashboard.js)}`. Generated from serverless.yml's functions,
 * lib/domain/tiers.ts and lib/domain/routes.ts, so a function, tier or route added there is drawn
 * without touching this file:
 *
 *   - every alarm's state;
 *   - per tier, records per minute over the functions that count them: received, forwarded,
 *     dropped (at-most-once tiers) or persisted / retry (at-least-once), rejected; requests refused
 *     before any record was routed;
 *   - the outbox: relay lag (OldestPendingAgeMs), pending and dead entries, the relay's sends, the
 *     hourly audit;
 *   - per MSK consumer: OffsetLag of its event source mapping, its records, their age;
 *   - per function: duration (with its timeout), errors / throttles / unsupported events,
 *     concurrency (with its reserved concurrency).
 *
 * Alarm thresholds are read from the alarm definitions themselves (every resources fragment of
 * serverless.yml, resolved by serverless exactly as for the stack), never restated here. A visible
 * line of an alarmed metric takes the alarm's statistic and period and gets its threshold as a
 * horizontal annotation; an alarm no line shows, or one under a Condition, gets a widget of its
 * own metric(s) under "Other alarms". test/deploy/dashboard.test.ts checks every metric drawn
 * against the code that emits it, and every alarm's threshold against the alarm.
 *
 * The body is JSON text under Fn::Sub: `${LogicalId}` (a function's or alarm's name),
 * `${Queue.QueueName}` and `${AWS::Region}` resolve at deploy time; literal text is escaped. Parts
 * that exist only under a condition (a conditional alarm) are Fn::If pieces of a Fn::Join.
 */
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { require: tsxRequire } = require('tsx/cjs/api');

/**
 * The resources fragments serverless.yml lists (`- ${file(...)}` under `resources:`), but this one:
 * where the alarms are declared. Read from the file because a fragment cannot resolve its siblings
 * through serverless (`resources` would refer to itself).
 */
function resourceFragments() {
  const yml = readFileSync(path.join(__dirname, '..', '..', 'serverless.yml'), 'utf8');
  const section = /^resources:\n((?:[ \t].*\n|\n)*)/m.exec(yml)?.[1] ?? '';
  return [...section.matchAll(/^\s*-\s*\$\{file\(([^)]+)\)\}\s*$/gm)]
    .map((m) => m[1].trim())
    .filter((file) => path.resolve(__dirname, '..', '..', file) !== __filename);
}

// What the handlers report beyond the per-tier counters, by handler bundle (dist/<bundle>/):
// the outbox relay and audit gauges (lib/handlers/outbox-relay.ts, outbox-verify.ts) and each
// consumer's per-topic counters (lib/handlers/audit-critical.ts, consume-realtime.ts).
const RELAY_BUNDLE = 'outbox-relay';
const AUDIT_BUNDLE = 'outbox-verify';
const CONSUMER_COUNTERS = {
  'audit-critical': ['Received', 'Audited', 'Duplicates', 'Failed', 'Deferred', 'Undecodable'],
  'consume-realtime': ['Records', 'Undecodable', 'Servers'],
};
// InvocationMetrics' tier for a request refused before any record was routed (lib/platform/metrics.ts).
const UNROUTED = 'unrouted';

const GRID = 24;
const ALARM_COLOR = '#d62728';
const LIMIT_COLOR = '#7f7f7f';

const upperFirst = (s) => s.charAt(0).toUpperCase() + s.slice(1);
// Serverless' logical id of a function (as in function-alarms.js).
const functionLogicalId = (name) => `${upperFirst(name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore'))}LambdaFunction`;
// Text that must reach the dashboard as written: `${` would be a Fn::Sub variable.
const literal = (s) => String(s).replace(/\$\{/g, '${!');
const refOf = (logicalId) => `\${${logicalId}}`;

/** A CloudFormation value of an alarm (a dimension value) as Fn::Sub text. */
function subText(value, where) {
  if (typeof value === 'string' || typeof value === 'number') return literal(value);
  if (value && typeof value.Ref === 'string') return refOf(value.Ref);
  const getAtt = value?.['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt.length === 2) return `\${${getAtt[0]}.${getAtt[1]}}`;
  throw new Error(`dashboard.js: ${where}: cannot draw ${JSON.stringify(value)} (a string, Ref or Fn::GetAtt is needed)`);
}

const dimensionsKey = (dims) =>
  Object.entries(dims)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');
const metricKey = (namespace, name, dims) => `${namespace}|${name}|${dimensionsKey(dims)}`;

const FILL = {
  GreaterThanThreshold: 'above',
  GreaterThanOrEqualToThreshold: 'above',
  LessThanThreshold: 'below',
  LessThanOrEqualToThreshold: 'below',
};

/** The alarms of the stack's resources fragments, with what a widget needs to draw them. */
async function loadAlarms(resolveVariable) {
  const alarms = [];
  for (const fragment of resourceFragments()) {
    const { Resources = {} } = (await resolveVariable(`file(${fragment})`)) || {};
    for (const [id, resource] of Object.entries(Resources)) {
      if (resource.Type !== 'AWS::CloudWatch::Alarm') continue;
      const p = resource.Properties;
      const fill = FILL[p.ComparisonOperator];
      // A threshold given as --param arrives as a string ("600000").
      const threshold = typeof p.Threshold === 'string' && p.Threshold.trim() !== '' ? Number(p.Threshold) : p.Threshold;
      if (!fill || typeof threshold !== 'number' || !Number.isFinite(threshold)) {
        throw new Error(`dashboard.js: ${id}: cannot draw threshold ${JSON.stringify(p.Threshold)} (${p.ComparisonOperator})`);
      }
      const alarm = { id, condition: resource.Condition, description: p.AlarmDescription ?? id, threshold, fill };
      if (p.Metrics) {
        alarm.lines = p.Metrics.map((m) =>
          m.Expression
            ? { id: m.Id, expression: literal(m.Expression), ...(m.Label && { label: literal(m.Label) }), visible: m.ReturnData !== false }
            : [
                m.MetricStat.Metric.Namespace,
                m.MetricStat.Metric.MetricName,
                dimsOf(m.MetricStat.Metric.Dimensions, id),
                { id: m.Id, stat: m.MetricStat.Stat, period: m.MetricStat.Period, visible: m.ReturnData !== false },
              ],
        );
      } else {
        const dims = dimsOf(p.Dimensions, id);
        alarm.key = metricKey(p.Namespace, p.MetricName, dims);
        alarm.lines = [[p.Namespace, p.MetricName, dims, { stat: p.Statistic ?? p.ExtendedStatistic, period: p.Period }]];
        alarm.statistic = { stat: p.Statistic ?? p.ExtendedStatistic, period: p.Period };
      }
      alarms.push(alarm);
    }
  }
  return alarms;
}

function dimsOf(dimensions, where) {
  return Object.fromEntries((dimensions ?? []).map((d) => [d.Name, subText(d.Value, where)]));
}

/** A dashboard metric line: [namespace, name, dim, value, ..., options]. */
function metricLine(namespace, name, dims, options) {
  return [namespace, name, ...Object.entries(dims).flat(), options];
}

// Alarm status widgets show at most 100 alarms.
const MAX_ALARMS_PER_WIDGET = 100;

/**
 * Widgets are laid out left to right in rows of GRID columns; a section starts a new row with
 * its heading.
 */
function layout(sections) {
  const widgets = [];
  let y = 0;
  for (const { heading, widgets: list } of sections) {
    if (!list.length) continue;
    if (heading) {
      widgets.push({ type: 'text', x: 0, y, width: GRID, height: 1, properties: { markdown: `## ${literal(heading)}` } });
      y += 1;
    }
    let x = 0;
    let rowHeight = 0;
    for (const w of list) {
      if (x + w.width > GRID) {
        y += rowHeight;
        x = 0;
        rowHeight = 0;
      }
      widgets.push({ ...w, x, y });
      x += w.width;
      rowHeight = Math.max(rowHeight, w.height);
    }
    y += rowHeight;
  }
  return widgets;
}

/** An array item that exists only when a template condition holds. */
const CONDITIONAL = Symbol('conditional');
const when = (condition, value) => (condition ? { [CONDITIONAL]: condition, value } : value);

/**
 * `value` as JSON text in the template: one Fn::Sub string, or, when some array items are
 * conditional, a Fn::Join of such strings and Fn::If parts. Conditional items go after the others
 * (their order means nothing to a dashboard), each bringing its own leading comma.
 */
function cfnJson(value) {
  const parts = [];
  const emit = (part) => {
    if (typeof part === 'string' && typeof parts.at(-1) === 'string') parts[parts.length - 1] += part;
    else parts.push(part);
  };
  const write = (v) => {
    if (Array.isArray(v)) {
      const fixed = v.filter((item) => !item?.[CONDITIONAL]);
      const conditional = v.filter((item) => item?.[CONDITIONAL]);
      if (conditional.length && !fixed.length) throw new Error('dashboard.js: an array of conditional items only cannot be written');
      emit('[');
      fixed.forEach((item, i) => {
        if (i) emit(',');
        write(item);
      });
      for (const item of conditional) emit({ 'Fn::If': [item[CONDITIONAL], withLeadingComma(cfnJson(item.value)), ''] });
      emit(']');
    } else if (v && typeof v === 'object') {
      emit('{');
      Object.entries(v).forEach(([k, item], i) => {
        emit(`${i ? ',' : ''}${JSON.stringify(k)}:`);
        write(item);
      });
      emit('}');
    } else emit(JSON.stringify(v));
  };
  write(value);
  const text = (s) => (s.includes('${') ? { 'Fn::Sub': s } : s);
  return parts.length === 1 ? text(parts[0]) : { 'Fn::Join': ['', parts.map((p) => (typeof p === 'string' ? text(p) : p))] };
}

function withLeadingComma(json) {
  if (typeof json === 'string') return `,${json}`;
  if (json['Fn::Sub'] !== undefined) return { 'Fn::Sub': `,${json['Fn::Sub']}` };
  return { 'Fn::Join': ['', [',', ...json['Fn::Join'][1]]] };
}

module.exports = async ({ resolveVariable, resolveConfigurationProperty }) => {
  const { TIERS, TIER_DELIVERY } = tsxRequire('../../lib/domain/tiers.ts', __filename);
  const { INGEST_ROUTES } = tsxRequire('../../lib/domain/routes.ts', __filename);
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const providerEnv = (await resolveConfigurationProperty(['provider', 'environment'])) || {};
  const providerTimeout = await resolveConfigurationProperty(['provider', 'timeout']);
  const config = (await resolveConfigurationProperty(['functions'])) || {};
  const alarms = await loadAlarms(resolveVariable);

  const functions = Object.entries(config).map(([name, fn]) => {
    const bundle = /^dist\/([\w-]+)\/index\.handler$/.exec(fn.handler ?? '')?.[1];
    const namespace = fn.environment?.METRICS_NAMESPACE ?? providerEnv.METRICS_NAMESPACE;
    if (typeof namespace !== 'string') throw new Error(`dashboard.js: ${name}: METRICS_NAMESPACE must be set in serverless.yml (provider or function environment)`);
    const topics = (fn.events ?? []).filter((e) => e.msk).map((e) => e.msk.topic);
    for (const t of topics) if (typeof t !== 'string') throw new Error(`dashboard.js: ${name}: msk topic ${JSON.stringify(t)} is not a plain string`);
    return { name, bundle, ref: refOf(functionLogicalId(name)), namespace, topics, // 6 s: serverless' own default when neither sets one.
      timeout: fn.timeout ?? providerTimeout ?? 6, reserved: fn.reservedConcurrency };
  });
  const byBundle = (bundle) => functions.filter((f) => f.bundle === bundle);
  const ingest = functions.filter((f) => Object.hasOwn(INGEST_ROUTES, f.bundle));
  const relays = byBundle(RELAY_BUNDLE);
  const audits = byBundle(AUDIT_BUNDLE);
  const consumers = functions.filter((f) => f.topics.length);

  // A conditional alarm may not exist, so it only ever appears in widgets of its own (same condition).
  const alarmsByKey = new Map();
  for (const a of alarms) if (a.key && !a.condition) alarmsByKey.set(a.key, [...(alarmsByKey.get(a.key) ?? []), a]);
  const drawn = new Set();

  /**
   * A metric widget. `lines` are [namespace, name, dims, options] (options may hold stat, period,
   * label, visible, id, yAxis) or { expression, id, label }; a visible line of an alarmed metric
   * takes the alarm's statistic and period, and the alarm's threshold is drawn.
   */
  function graph(title, lines, { width = 8, height = 6, stat = 'Sum', period = 60, limits = [], alarmsShown = [], left = {} } = {}) {
    const shown = new Set(alarmsShown);
    const metrics = lines.map((line) => {
      if (!Array.isArray(line)) return [line];
      const [namespace, name, dims, options = {}] = line;
      const matching = options.visible === false ? [] : (alarmsByKey.get(metricKey(namespace, name, dims)) ?? []);
      for (const a of matching) shown.add(a);
      return metricLine(namespace, name, dims, { ...options, ...matching[0]?.statistic });
    });
    // Alarms sharing a threshold share one line, labelled with all their names.
    const thresholds = new Map();
    for (const a of shown) {
      drawn.add(a.id);
      const k = `${a.threshold}|${a.fill}`;
      thresholds.set(k, [...(thresholds.get(k) ?? []), a]);
    }
    const horizontal = [
      ...[...thresholds.values()].map((group) => ({
        label: group.map((a) => refOf(a.id)).join(' / '),
        value: group[0].threshold,
        fill: group[0].fill,
        color: ALARM_COLOR,
      })),
      ...limits.map((l) => ({ label: literal(l.label), value: l.value, color: LIMIT_COLOR })),
    ];
    return {
      type: 'metric',
      width,
      height,
      properties: {
        title: literal(title),
        view: 'timeSeries',
        region: refOf('AWS::Region'),
        stat,
        period,
        metrics,
        ...(horizontal.length && { annotations: { horizontal } }),
        yAxis: { left: { min: 0, showUnits: false, ...left } },
      },
    };
  }

  /** One expression line per metric: the sum over the functions that report it (missing = 0). */
  const sumLines = (series) =>
    series.flatMap(({ label, metrics }, i) => {
      const ids = metrics.map((_, j) => `m${i}_${j}`);
      return [
        ...metrics.map(([ns, name, dims], j) => [ns, name, dims, { id: ids[j], visible: false }]),
        { id: `e${i}`, label, expression: ids.map((id) => `FILL(${id}, 0)`).join(' + ') },
      ];
    });
  const tierMetric = (f, name, tier) => [f.namespace, name, { FunctionName: f.ref, Tier: tier }];

  const tierWidgets = TIERS.map((tier) => {
    const atLeastOnce = TIER_DELIVERY[tier].guarantee === 'at-least-once';
    // The at-most-once sink forwards or drops; the outbox persists, forwards or asks for a retry,
    // and its relay forwards what the ingest functions could not.
    const statuses = atLeastOnce ? ['Received', 'Persisted', 'Forwarded', 'Retry', 'Rejected'] : ['Received', 'Forwarded', 'Dropped', 'Rejected'];
    const reporting = (name) => (atLeastOnce && name === 'Forwarded' ? [...ingest, ...relays] : ingest);
    return graph(
      `${tier} tier (${TIER_DELIVERY[tier].guarantee}): records per minute`,
      sumLines(statuses.map((name) => ({ label: name.toLowerCase(), metrics: reporting(name).map((f) => tierMetric(f, name, tier)) }))),
    );
  });
  const refused = graph(
    'requests refused before routing (auth, size, shape), per minute',
    ingest.map((f) => [...tierMetric(f, 'Rejected', UNROUTED), { label: f.name }]),
  );

  const outboxWidgets = relays.flatMap((relay) =>
    TIERS.filter((t) => TIER_DELIVERY[t].guarantee === 'at-least-once').flatMap((tier) => [
      graph(`${tier} outbox: relay lag (oldest pending entry, ms)`, [[...tierMetric(relay, 'OldestPendingAgeMs', tier), { label: 'oldest pending' }]], { stat: 'Maximum' }),
      graph(
        `${tier} outbox: pending and dead entries`,
        [
          [...tierMetric(relay, 'Pending', tier), { label: 'pending' }],
          [...tierMetric(relay, 'DeadEntries', tier), { label: 'dead' }],
        ],
        { stat: 'Maximum' },
      ),
      graph(`${tier} outbox: relay sends per minute`, [
        [...tierMetric(relay, 'Forwarded', tier), { label: 'forwarded' }],
        [...tierMetric(relay, 'SendFailures', tier), { label: 'send failures' }],
        [...tierMetric(relay, 'Dead', tier), { label: 'died this run' }],
      ]),
    ]),
  );
  const auditWidgets = audits.flatMap((audit) =>
    TIERS.filter((t) => TIER_DELIVERY[t].guarantee === 'at-least-once').map((tier) =>
      graph(
        `${tier} audit (${audit.name}): events checked, missing from Kafka, incomplete runs`,
        [
          [...tierMetric(audit, 'AuditChecked', tier), { label: 'checked', yAxis: 'right' }],
          [...tierMetric(audit, 'AuditMissing', tier), { label: 'missing' }],
          [...tierMetric(audit, 'AuditIncomplete', tier), { label: 'incomplete' }],
        ],
        // One run an hour.
        { stat: 'Maximum', period: 3600 },
      ),
    ),
  );

  // OffsetLag is Lambda's, for any MSK event source mapping; the counters only where the handler is known.
  const consumerWidgets = consumers.flatMap((f) => {
    const offsetLag = graph(`${f.name}: offset lag (records)`, [['AWS/Lambda', 'OffsetLag', { FunctionName: f.ref }, { label: 'offset lag' }]], { stat: 'Maximum' });
    const counters = CONSUMER_COUNTERS[f.bundle];
    if (!counters) return [offsetLag];
    const perTopic = (name, label) => f.topics.map((topic) => [f.namespace, name, { FunctionName: f.ref, Topic: literal(topic) }, { label }]);
    return [
      offsetLag,
      graph(`${f.name}: records per minute`, counters.flatMap((name) => perTopic(name, name.toLowerCase()))),
      graph(`${f.name}: record age when handled (ms)`, [...perTopic('NewestRecordAgeMs', 'newest'), ...perTopic('OldestRecordAgeMs', 'oldest')], { stat: 'Maximum' }),
    ];
  });

  const lambdaWidgets = functions.flatMap((f) => {
    const fn = { FunctionName: f.ref };
    return [
      graph(
        `${f.name}: duration (ms)`,
        [
          ['AWS/Lambda', 'Duration', fn, { stat: 'Average', label: 'average' }],
          ['AWS/Lambda', 'Duration', fn, { stat: 'p99', label: 'p99' }],
          ['AWS/Lambda', 'Duration', fn, { stat: 'Maximum', label: 'maximum' }],
        ],
        { limits: [{ label: `timeout ${f.timeout} s`, value: f.timeout * 1000 }] },
      ),
      graph(
        `${f.name}: errors, throttles, unsupported events`,
        [
          ['AWS/Lambda', 'Errors', fn, { label: 'errors' }],
          ['AWS/Lambda', 'Throttles', fn, { label: 'throttles' }],
          [f.namespace, 'UnsupportedEvents', fn, { label: 'unsupported events' }],
        ],
        { period: 300 },
      ),
      graph(`${f.name}: concurrent executions`, [['AWS/Lambda', 'ConcurrentExecutions', fn, { label: 'concurrent' }]], {
        stat: 'Maximum',
        limits: f.reserved === undefined ? [] : [{ label: `reserved concurrency ${f.reserved}`, value: f.reserved }],
      }),
    ];
  });

  // Built before "Other alarms" so that only the alarms no widget above shows land there.
  const sections = [
    { heading: 'Tiers', widgets: [...tierWidgets, refused] },
    { heading: 'Outbox', widgets: [...outboxWidgets, ...auditWidgets] },
    { heading: 'MSK consumers', widgets: consumerWidgets },
    { heading: 'Functions', widgets: lambdaWidgets },
  ];
  // Conditional ones last: a widget left out leaves its gap at the end of the section.
  const others = alarms
    .filter((a) => !drawn.has(a.id))
    .sort((a, b) => Number(Boolean(a.condition)) - Number(Boolean(b.condition)))
    .map((a) => ({ ...graph(a.description, a.lines, { alarmsShown: [a] }), condition: a.condition }));
  sections.splice(1, 0, { heading: 'Other alarms (the alarm\u2019s own metric and threshold)', widgets: others });

  const header = {
    type: 'text',
    width: GRID,
    height: 3,
    properties: {
      markdown: literal(
        `# ${service} ${stage}\n` +
          'Records per tier, the critical outbox, the MSK consumers and every function. Red lines are alarm thresholds, grey lines limits.\n\n' +
          'Generated by `infra/serverless/dashboard.js` from `serverless.yml` on every deploy: edits made here are overwritten. README "Metrics".',
      ),
    },
  };
  if (alarms.length > MAX_ALARMS_PER_WIDGET) throw new Error(`dashboard.js: ${alarms.length} alarms; the alarm status widget shows at most ${MAX_ALARMS_PER_WIDGET}`);
  const alarmStatus = {
    type: 'alarm',
    width: GRID,
    height: 5,
    properties: {
      title: 'Alarms',
      alarms: alarms.map((a) => when(a.condition, `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${refOf(a.id)}`)),
      sortBy: 'stateUpdatedTimestamp',
    },
  };

  const widgets = layout([{ widgets: [header, alarmStatus] }, ...sections]).map(({ condition, ...w }) => when(condition, w));
  const body = { widgets };
  return {
    Resources: {
      Dashboard: {
        Type: 'AWS::CloudWatch::Dashboard',
        Properties: {
          DashboardName: { 'Fn::Sub': `${literal(service)}-${literal(stage)}-\${AWS::Region}` },
          DashboardBody: cfnJson(body),
        },
      },
    },
    Outputs: {
      DashboardUrl: {
        Description: 'The CloudWatch dashboard of this stack',
        Value: { 'Fn::Sub': `https://\${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=\${AWS::Region}#dashboards/dashboard/\${Dashboard}` },
      },
    },
  };
};
