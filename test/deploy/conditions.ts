/**
 * What CloudFormation would create from the packaged template for given parameter values, offline:
 * conditions evaluated (Fn::Equals / Not / And / Or / Condition over parameter Refs), resources
 * whose condition is false left out, every Fn::If replaced by its branch, AWS::NoValue dropped and
 * parameter Refs replaced by their values. Other intrinsics (GetAtt, Join, Sub, ...) stay as they
 * are. Lets test/deploy check both sides of an optional feature from the one packaged template.
 */
import type { CfnResource, CfnTemplate } from './helpers';

export type ParameterValues = Readonly<Record<string, string>>;

const NO_VALUE = Symbol('AWS::NoValue');

export function materialize(t: CfnTemplate, params: ParameterValues = {}): CfnTemplate {
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve).filter((v) => v !== NO_VALUE);
    if (typeof node !== 'object' || node === null) return node;
    const obj = node as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === 'Fn::If') {
      const [name, yes, no] = obj['Fn::If'] as [string, unknown, unknown];
      return resolve(conditionHolds(t, name, params) ? yes : no);
    }
    if (keys.length === 1 && keys[0] === 'Ref') {
      const ref = obj.Ref as string;
      if (ref === 'AWS::NoValue') return NO_VALUE;
      if (t.Parameters?.[ref]) return parameterValue(t, ref, params);
      return node;
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const v = resolve(obj[k]);
      if (v !== NO_VALUE) out[k] = v;
    }
    return out;
  };
  const Resources: Record<string, CfnResource> = {};
  for (const [id, r] of Object.entries(t.Resources)) {
    if (r.Condition !== undefined && !conditionHolds(t, r.Condition, params)) continue;
    Resources[id] = resolve(r) as CfnResource;
  }
  return { ...t, Resources };
}

export function conditionHolds(t: CfnTemplate, name: string, params: ParameterValues): boolean {
  const definition = t.Conditions?.[name];
  if (definition === undefined) throw new Error(`no condition ${name} in the template`);
  return Boolean(evaluate(t, definition, params));
}

function parameterValue(t: CfnTemplate, name: string, params: ParameterValues): string {
  if (name in params) return params[name]!;
  const p = t.Parameters?.[name];
  if (p === undefined) throw new Error(`no parameter ${name} in the template`);
  return String(p.Default ?? '');
}

function evaluate(t: CfnTemplate, expr: unknown, params: ParameterValues): unknown {
  if (typeof expr !== 'object' || expr === null) return expr;
  const [fn, arg] = Object.entries(expr)[0] as [string, unknown];
  const args = arg as unknown[];
  switch (fn) {
    case 'Ref':
      return parameterValue(t, arg as string, params);
    case 'Condition':
      return conditionHolds(t, arg as string, params);
    case 'Fn::Equals':
      return String(evaluate(t, args[0], params)) === String(evaluate(t, args[1], params));
    case 'Fn::Not':
      return !evaluate(t, args[0], params);
    case 'Fn::And':
      return args.every((a) => evaluate(t, a, params));
    case 'Fn::Or':
      return args.some((a) => evaluate(t, a, params));
    default:
      throw new Error(`conditions.ts cannot evaluate ${fn} in a condition`);
  }
}
