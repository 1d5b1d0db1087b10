/**
 * Tenant configuration: who may send, with which credentials, to which tiers and topics. Pure.
 *
 * A document is `{ "tenants": [ Tenant, ... ] }` (a file, one Secrets Manager secret) or a single
 * Tenant object (one SSM parameter per tenant). Every problem is reported together, and no
 * problem message ever contains a secret or key hash.
 */
import { KINDS, TIERS, type RecordKind, type Tier } from '../domain/tiers';
import { sha256Hex } from './signature';

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const PREFIX = /^[A-Za-z0-9._-]{1,100}$/;
const API_KEY_HASH = /^sha256:[0-9a-f]{64}$/;
const ACCOUNT = /^\d{12}$/;
const IAM_ARN = /^arn:aws[a-z-]*:(iam|sts)::(\d{12}):(role|user|assumed-role)\/(.+)$/;
/** HMAC secrets shorter than this are refused: 32 characters of a random key is 128+ bits. */
export const MIN_HMAC_SECRET_LENGTH = 32;

export interface TenantPolicy {
  id: string;
  tiers: ReadonlySet<Tier>;
  kinds: ReadonlySet<RecordKind>;
  /** Topic prefix this tenant's records must land under; undefined = the deployment's TOPIC_PREFIX. */
  topicPrefix?: string;
}

export interface Tenant extends TenantPolicy {
  /** keyId → secret (several during a rotation). */
  hmacKeys: ReadonlyMap<string, string>;
  /** `sha256:<hex>` of each API key. */
  apiKeyHashes: readonly string[];
  iamPrincipals: readonly string[];
}

/** Lookups by credential; built once per load of the tenant document. */
export interface TenantIndex {
  byId: ReadonlyMap<string, Tenant>;
  byApiKeyHash: ReadonlyMap<string, Tenant>;
  /** Keys from principalKeys(): exact ARN, `role:<account>:<name>`, `account:<id>`. */
  byPrincipal: ReadonlyMap<string, Tenant>;
}

export function hashApiKey(apiKey: string): string {
  return `sha256:${sha256Hex(apiKey)}`;
}

/** Parses and validates a whole document (or a list of SSM parameter values, one tenant each). */
export function parseTenants(docs: readonly unknown[], problems: string[]): TenantIndex {
  const tenants: Tenant[] = [];
  docs.forEach((doc, d) => {
    const where = docs.length > 1 ? `document ${d}: ` : '';
    if (isObject(doc) && Array.isArray(doc.tenants)) {
      doc.tenants.forEach((t, i) => {
        pushTenant(t, `${where}tenants[${i}]`, tenants, problems);
      });
    } else if (isObject(doc) && 'id' in doc) {
      pushTenant(doc, `${where}tenant`, tenants, problems);
    } else {
      problems.push(`${where}must be {"tenants": [...]} or one tenant object`);
    }
  });
  const byId = new Map<string, Tenant>();
  const byApiKeyHash = new Map<string, Tenant>();
  const byPrincipal = new Map<string, Tenant>();
  for (const t of tenants) {
    if (byId.has(t.id)) problems.push(`tenant "${t.id}" is defined twice`);
    byId.set(t.id, t);
    for (const h of t.apiKeyHashes) {
      const other = byApiKeyHash.get(h);
      if (other && other !== t) problems.push(`tenants "${other.id}" and "${t.id}" share an API key`);
      byApiKeyHash.set(h, t);
    }
    for (const p of t.iamPrincipals) {
      const key = principalKeys(p)[0]!;
      const other = byPrincipal.get(key);
      if (other && other !== t) problems.push(`tenants "${other.id}" and "${t.id}" both claim IAM principal ${p}`);
      byPrincipal.set(key, t);
    }
  }
  return { byId, byApiKeyHash, byPrincipal };
}

function pushTenant(raw: unknown, at: string, out: Tenant[], problems: string[]): void {
  if (!isObject(raw)) return void problems.push(`${at} must be an object`);
  const before = problems.length;
  const id = typeof raw.id === 'string' && ID.test(raw.id) ? raw.id : undefined;
  if (!id) problems.push(`${at}.id must match ${ID.source}`);
  const name = id ? `tenant "${id}"` : at;
  const tiers = stringSet(raw.tiers, `${name}.tiers`, problems, TIERS, false);
  const kinds = raw.kinds === undefined ? new Set(KINDS) : stringSet(raw.kinds, `${name}.kinds`, problems, KINDS, true);
  const topicPrefix = raw.topicPrefix;
  if (topicPrefix !== undefined && !(typeof topicPrefix === 'string' && PREFIX.test(topicPrefix))) {
    problems.push(`${name}.topicPrefix must be 1-100 of letters, digits, '.', '_', '-'`);
  }
  const hmacKeys = new Map<string, string>();
  if (raw.hmacKeys !== undefined) {
    if (!isObject(raw.hmacKeys)) problems.push(`${name}.hmacKeys must be an object {keyId: secret}`);
    else
      for (const [keyId, secret] of Object.entries(raw.hmacKeys)) {
        if (!ID.test(keyId)) problems.push(`${name}.hmacKeys: key id "${keyId.slice(0, 64)}" must match ${ID.source}`);
        else if (typeof secret !== 'string' || secret.length < MIN_HMAC_SECRET_LENGTH) {
          problems.push(`${name}.hmacKeys.${keyId} must be a string of at least ${MIN_HMAC_SECRET_LENGTH} characters`);
        } else hmacKeys.set(keyId, secret);
      }
  }
  const apiKeyHashes = stringList(raw.apiKeys, `${name}.apiKeys`, problems).filter((h, i) => {
    if (API_KEY_HASH.test(h)) return true;
    problems.push(`${name}.apiKeys[${i}] must be "sha256:<64 hex>" (store the hash, never the key)`);
    return false;
  });
  const iamPrincipals = stringList(raw.iamPrincipals, `${name}.iamPrincipals`, problems).filter((p, i) => {
    if (ACCOUNT.test(p) || IAM_ARN.test(p)) return true;
    problems.push(`${name}.iamPrincipals[${i}] must be a 12-digit account id or an IAM role/user ARN`);
    return false;
  });
  if (problems.length > before || !id) return;
  out.push({
    id,
    tiers: tiers as Set<Tier>,
    kinds: kinds as Set<RecordKind>,
    ...(typeof topicPrefix === 'string' && { topicPrefix }),
    hmacKeys,
    apiKeyHashes,
    iamPrincipals,
  });
}

/**
 * Index keys of a configured principal (first = its own key) or of a caller's ARN (most specific
 * first). An assumed-role session ARN names the role without its path, so roles match by name.
 */
export function principalKeys(arnOrAccount: string): string[] {
  if (ACCOUNT.test(arnOrAccount)) return [`account:${arnOrAccount}`];
  const m = IAM_ARN.exec(arnOrAccount);
  if (!m) return [arnOrAccount];
  const [, , account, type, rest] = m as unknown as [string, string, string, string, string];
  if (type === 'role') return [`role:${account}:${rest.split('/').pop()}`, `account:${account}`];
  if (type === 'assumed-role') return [`role:${account}:${rest.split('/')[0]}`, `account:${account}`];
  return [arnOrAccount, `account:${account}`];
}

/** The tenant an IAM caller maps to (API Gateway's requestContext.authorizer.iam). */
export function tenantForPrincipal(index: TenantIndex, userArn: string | undefined, accountId: string | undefined): Tenant | undefined {
  const keys = [...(userArn ? principalKeys(userArn) : []), ...(accountId && ACCOUNT.test(accountId) ? [`account:${accountId}`] : [])];
  for (const k of keys) {
    const t = index.byPrincipal.get(k);
    if (t) return t;
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown, at: string, problems: string[]): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
    problems.push(`${at} must be an array of strings`);
    return [];
  }
  return v as string[];
}

function stringSet<T extends string>(v: unknown, at: string, problems: string[], allowed: readonly T[], mayBeEmpty: boolean): Set<T> {
  const list = stringList(v, at, problems);
  if (v === undefined || (!mayBeEmpty && list.length === 0)) problems.push(`${at} must list at least one of ${allowed.join(', ')}`);
  const bad = list.filter((s) => !(allowed as readonly string[]).includes(s));
  if (bad.length) problems.push(`${at}: ${bad.map((b) => JSON.stringify(b.slice(0, 32))).join(', ')} not one of ${allowed.join(', ')}`);
  return new Set(list.filter((s) => !bad.includes(s)) as T[]);
}
