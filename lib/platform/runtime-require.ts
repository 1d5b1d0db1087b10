/**
 * Loads a package at run time instead of bundling it. Used for clients needed at most once per
 * container and only in some configurations (MSK bootstrap lookup, Secrets Manager, the IAM signer
 * outside Lambda): the Lambda Node.js runtime ships the AWS SDK v3, so leaving them out keeps the
 * bundles small and cold starts fast. A non-literal argument is what keeps esbuild from inlining it.
 */
export function runtimeRequire<T>(name: string): T {
  return require(name) as T;
}
