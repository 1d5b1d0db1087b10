/**
 * Loaders for the tenant documents a TENANTS_SOURCE names (lib/auth/tenant-source.ts): a local
 * file, SSM parameters under a path, or one Secrets Manager secret. The AWS SDK clients are loaded
 * from the Lambda runtime only when used (bundles stay small).
 */
import { readFileSync } from 'node:fs';
import type { DocumentLoader, TenantsSource } from '../../auth/tenant-source';
import { runtimeRequire } from '../../platform/runtime-require';
import { secretsManagerLookup, type SecretLookup } from './secrets';

/** Minimal shape of @aws-sdk/client-ssm used here (the package ships with the Lambda runtime). */
export interface SsmModule {
  SSMClient: new (cfg: { region?: string }) => { send(cmd: unknown): Promise<SsmPage> };
  GetParametersByPathCommand: new (input: { Path: string; Recursive: boolean; WithDecryption: boolean; NextToken?: string }) => unknown;
}
interface SsmPage {
  Parameters?: { Name?: string; Value?: string }[];
  NextToken?: string;
}

export function loaderFor(source: TenantsSource, region?: string, deps: { lookupSecret?: SecretLookup; ssm?: SsmModule } = {}): DocumentLoader {
  switch (source.kind) {
    case 'file':
      return async () => [parseJson(readFileSync(source.path, 'utf8'), source.path)];
    case 'secretsmanager':
      return async () => [parseJson(await (deps.lookupSecret ?? secretsManagerLookup)(source.secretId, region), source.secretId)];
    case 'ssm':
      return async () => {
        const { SSMClient, GetParametersByPathCommand } = deps.ssm ?? runtimeRequire<SsmModule>('@aws-sdk/client-ssm');
        const client = new SSMClient(region ? { region } : {});
        const docs: unknown[] = [];
        let NextToken: string | undefined;
        do {
          const page = await client.send(new GetParametersByPathCommand({ Path: source.path, Recursive: true, WithDecryption: true, ...(NextToken && { NextToken }) }));
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
