
/**
 * The `tenantsSource` param (TENANTS_SOURCE of the deployed functions) cut into what IAM needs,
 * checked at package time so a typo fails `serverless package` rather than the first cold start:
 *   ''                                                   the stack creates the secret (TenantsSecret)
 *   secretsmanager:arn:<partition>:secretsmanager:...    an existing secret, by its full ARN
 *   ssm:/<path>                                          SecureString parameters under that path
 * Used from infra/serverless/iam.yml as `${file(infra/serverless/tenants-source.js):secretArn}` etc.
 * and from serverless.yml (`source`: the value TENANTS_SOURCE gets when the param is set).
 */
const SECRET = /^secretsmanager:(arn:aws[\w-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+)$/;
const SSM = /^ssm:(\/[\w.\-/]*[\w.-])\/?$/;

module.exports = async ({ resolveVariable }) => {
  const value = String((await resolveVariable('param:tenantsSource')) ?? '').trim();
  if (value === '') return { source: '', secretArn: '', ssmPath: '' };
  const secret = SECRET.exec(value);
  if (secret) return { source: value, secretArn: secret[1], ssmPath: '' };
  // GetParametersByPath is authorized on the path itself (it covers every level below it).
  const ssm = SSM.exec(value);
  if (ssm) return { source: `ssm:${ssm[1]}`, secretArn: '', ssmPath: ssm[1] };
  throw new Error(
    `tenantsSource: "${value}" must be empty (the stack creates a secret), secretsmanager:<full secret ARN> or ssm:/<path>` +
      ' (a file: source is for local runs only)',
  );
};
