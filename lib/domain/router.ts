import { uuidv7 } from './ids';
import { HEADER, type DecodedRecord, type ForwardRecord } from './record';
import { KINDS, isTier, type RecordKind, type Tier } from './tiers';

/** How a rule picks the Kafka key: the sender's `key`, the event id, or none (spread across partitions). */
export type KeyStrategy = 'record' | 'id' | 'none';

/** One routing rule; rules are tried in order and the first match wins. */
export interface RouteRule {
  kind?: RecordKind[];
  type?: string[];
  tier: Tier;
  /** Topic override; defaults to the tier's topic. */
  topic?: string;
  key?: KeyStrategy;
}

export interface RouterOptions {
  rules: readonly RouteRule[];
  topics: Readonly<Record<Tier, string>>;
  tenant: string;
}

/** Used when ROUTING_RULES is not set: kinds map straight to tiers. */
export const DEFAULT_RULES: readonly RouteRule[] = Object.freeze([
  { kind: ['log'], tier: 'logs' },
  { kind: ['heartbeat'], tier: 'realtime' },
  { kind: ['event'], tier: 'critical', key: 'record' },
]);

export type Router = (record: DecodedRecord) => ForwardRecord;

const KEY_STRATEGIES: readonly KeyStrategy[] = ['record', 'id', 'none'];

/** Builds the router. Total: an unmatched record goes to the tier its kind implies. */
export function createRouter({ rules, topics, tenant }: RouterOptions): Router {
  const all = [...rules, ...DEFAULT_RULES];
  return (record) => {
    const rule = all.find((r) => matches(r, record))!;
    // An explicit tier from the sender wins over the rule; whether this endpoint and tenant may
    // write that tier is decided downstream, per record.
    const tier = record.tier ?? rule.tier;
    const topic = record.tier && record.tier !== rule.tier ? topics[tier] : (rule.topic ?? topics[tier]);
    const id = record.id ?? uuidv7(record.timestamp);
    // Every header costs ~2 µs per record to encode in kafkajs: only the ones consumers need.
    const headers: Record<string, string> = {
      [HEADER.eventId]: id,
      [HEADER.source]: record.sourceRef.source,
      [HEADER.tenant]: tenant,
    };
    return {
      id,
      tier,
      topic,
      key: pickKey(rule.key ?? 'record', record, id),
      value: record.value,
      headers,
      timestamp: record.timestamp,
      sourceRef: record.sourceRef,
    };
  };
}

function matches(rule: RouteRule, record: DecodedRecord): boolean {
  if (rule.kind && !rule.kind.includes(record.kind)) return false;
  if (rule.type && (record.type === undefined || !rule.type.includes(record.type))) return false;
  return true;
}

function pickKey(strategy: KeyStrategy, record: DecodedRecord, id: string): string | null {
  if (strategy === 'id') return record.key ?? id;
  if (strategy === 'none') return null;
  return record.key ?? null;
}

/** Validates ROUTING_RULES (a JSON array of rules); returns undefined and fills `problems` if invalid. */
export function parseRules(value: unknown, problems: string[]): RouteRule[] | undefined {
  if (!Array.isArray(value)) {
    problems.push('must be a JSON array of rules');
    return undefined;
  }
  const rules: RouteRule[] = [];
  value.forEach((raw: unknown, i) => {
    const at = `rule ${i}`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`${at} must be an object`);
      return;
    }
    const r = raw as Record<string, unknown>;
    const kind = stringList(r.kind, `${at}.kind`, problems);
    for (const k of kind?.filter((k) => !(KINDS as readonly string[]).includes(k)) ?? []) {
      problems.push(`${at}.kind "${k}" is not one of ${KINDS.join(', ')}`);
    }
    const type = stringList(r.type, `${at}.type`, problems);
    if (!isTier(r.tier)) problems.push(`${at}.tier must be one of logs, realtime, critical`);
    if (r.topic !== undefined && (typeof r.topic !== 'string' || !r.topic)) problems.push(`${at}.topic must be a non-empty string`);
    if (r.key !== undefined && !(KEY_STRATEGIES as readonly unknown[]).includes(r.key)) {
      problems.push(`${at}.key must be one of ${KEY_STRATEGIES.join(', ')}`);
    }
    rules.push({
      tier: r.tier as Tier,
      ...(kind && { kind: kind as RecordKind[] }),
      ...(type && { type }),
      ...(typeof r.topic === 'string' && { topic: r.topic }),
      ...(r.key !== undefined && { key: r.key as KeyStrategy }),
    });
  });
  return rules;
}

function stringList(value: unknown, at: string, problems: string[]): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) {
    problems.push(`${at} must be a string or an array of strings`);
    return undefined;
  }
  return list as string[];
}
