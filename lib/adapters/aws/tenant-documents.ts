/**
 * Loaders for the tenant documents a TENANTS_SOURCE names (lib/auth/tenant-source.ts): a local
 * file, SSM parameters under a path, or one Secrets Manager secret. The AWS SDK clients are loaded
 * only when used, and from the Lambda runtime (external in tools/build.ts: bundles stay small).
 */
import { readFileSync } from 'node:fs';
import type { DocumentLoader, TenantsSource } from '../../auth/tenant-source';
import { secretsManagerLookup, type SecretLookup } from './secrets';

type SsmPage = { Parameters?: { Name?: string; Value?: string }[]; NextToken?: string };
type SsmQuery = { Path: string; Recursive: boolean; WithDecryption: boolean; NextToken?: string };

/** What the SSM loader uses of @aws-sdk/client-ssm (external in bundles: the Lambda runtime ships it); tests pass a fake. */
export interface SsmModule {
  SSMClient: new (config: { region?: string }) => { send(command: never): Promise<SsmPage> };
  GetParametersByPathCommand: new (input: SsmQuery) => unknown;
}

export function loaderFor(source: TenantsSource, region?: string, deps: { lookupSecret?: SecretLookup; ssm?: SsmModule } = {}): DocumentLoader {
  switch (source.kind) {
    case 'file':
      return async () => [parseJson(readFileSync(source.path, 'utf8'), source.path)];
    case 'secretsmanager':
      return async () => [parseJson(await (deps.lookupSecret ?? secretsManagerLookup)(source.secretId, region), source.secretId)];
    case 'ssm':
      return async () => {
        const { SSMClient, GetParametersByPathCommand }: SsmModule = deps.ssm ?? (await import('@aws-sdk/client-ssm'));
        const client = new SSMClient(region ? { region } : {});
        const docs: unknown[] = [];
        let NextToken: string | undefined;
        do {
          const command = new GetParametersByPathCommand({ Path: source.path, Recursive: true, WithDecryption: true, ...(NextToken && { NextToken }) });
          // The SDK types send() over its own command classes; the pairing above is what matters here.
          const page = await client.send(command as never);
          for (const p of page.Parameters ?? []) docs.push(parseJson(p.Value ?? '', p.Name ?? source.path));
          NextToken = page.NextToken;
        } while (NextToken);
        return docs;
      };
  }
}

/** JSON.parse whose error names the document but never quotes it (it holds secrets). */
function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`tenant document ${name} is not valid JSON`);
  }
}
