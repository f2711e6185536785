import type { ErrorRecord } from '../contracts.ts';
import type { RepoReader } from '../ports/repo-workspace.ts';
import { VENDORED_REPO_DIR } from './map-frames.ts';
import { readText } from './place-bundled-frames.ts';

/**
 * AWS refused a call the function made: its role's policy (or the resource's, or an
 * organization's) does not allow the action. The code that made the call is not what is wrong, and
 * a model shown only that code can do nothing right: catch the error and hide it, or retry what
 * will never be allowed. The incident is closed with what AWS said, in words, and where the
 * repository's infrastructure code names the role or the resource, with no model call.
 */

// IAM's words, the same from every service and SDK (boto3's ClientError, the JS SDK's
// AccessDeniedException, the Java SDK's service exceptions): `User: arn:aws:sts::…:assumed-role/
// orders-fn-role/orders-fn is not authorized to perform: dynamodb:PutItem on resource: arn:aws:
// dynamodb:…:table/Orders because no identity-based policy allows the dynamodb:PutItem action`.
const NOT_AUTHORIZED = /is not authorized to perform: ([\w-]{1,60}:[\w*]{1,120})/;
const PRINCIPAL =
  /User: (arn:aws[\w-]{0,20}:(?:sts|iam)::\d{12}:(?:assumed-role|role|user)\/([\w+=,.@-]{1,128}))/;
const RESOURCE = /on resource: (arn:aws[\w-]{0,20}:[^\s"'\\]{1,500}?)(?=\s|$|["'\\])/;
// `… because no identity-based policy allows the … action`, `… with an explicit deny in a service control policy`
const REASON =
  /\b(no [\w -]{1,60}?(?:policy|boundary) allows|with an explicit deny in an? [\w -]{1,60}?(?:policy|boundary))\b/;
// S3 says only `Access Denied`: boto3's `An error occurred (AccessDenied) when calling the
// GetObject operation: Access Denied`, the JS SDK's AccessDenied with message `Access Denied`.
const S3_DENIED = /\(AccessDenied\) when calling the (\w{1,60}) operation: Access Denied/;
const OPERATION = /when calling the (\w{1,60}) operation/;

// Where a repository keeps its infrastructure: SAM and CloudFormation templates, the Serverless
// Framework, Terraform, and CDK apps (their stacks in TypeScript, JavaScript or Python).
const INFRA_FILE =
  /(?:^|\/)(?:template[\w.-]{0,40}\.(?:ya?ml|json)|serverless\.ya?ml|[\w.-]{1,100}\.tf)$|(?:^|\/)(?:infra|infrastructure|cdk|lib|stacks?|deploy|iac|terraform|bin)\/(?:[\w.-]{1,100}\/){0,4}[\w.-]{1,100}\.(?:ts|js|py)$/;
const IAC_PROGRAM = /aws-cdk-lib|@aws-cdk\/|aws_cdk|from ['"]constructs['"]|@pulumi\/|import pulumi|cdktf/;
// Dependencies and build output: copies of the stack, not where it is written.
const BUILD_OUTPUT = /(?:^|\/)(?:cdk\.out|dist|build)\//;
const MAX_INFRA_FILES = 200;
const MAX_PLACES = 4;
// The random suffix CloudFormation puts on the parts of a physical name it makes.
const GENERATED_SUFFIX = /[A-Z0-9]{8,13}$/;
const GENERATED = /^[A-Za-z]{2,100}[A-Z0-9]{8,13}$|^[A-Z0-9]{12,13}$/;

type Denied = Pick<ErrorRecord, 'exceptionType' | 'message' | 'raw' | 'logGroup'>;

/** Why AWS refused the function's call, and where the repository defines what would allow it; undefined for other errors. */
export async function explainAccessDenied({
  error,
  repo,
}: {
  error: Denied;
  repo: RepoReader;
}): Promise<string | undefined> {
  const text = `${error.message}\n${error.raw}`;
  const action = NOT_AUTHORIZED.exec(text)?.[1];
  const s3Operation = action === undefined ? (S3_DENIED.exec(text)?.[1] ?? s3Denied(error)) : undefined;
  if (action === undefined && s3Operation === undefined) return undefined;
  const principal = PRINCIPAL.exec(text);
  const role = principal?.[2];
  const resource = RESOURCE.exec(text)?.[1];
  const functionName = error.logGroup.startsWith('/aws/lambda/')
    ? error.logGroup.slice('/aws/lambda/'.length)
    : '';
  const needles = [
    ...namesOf(resource),
    ...(role ? namesOf(role) : []),
    ...(functionName ? namesOf(functionName) : []),
  ];
  const places = await placesNaming(repo, needles);
  const where =
    places.length > 0
      ? ` The repository's infrastructure code names them at ${places.join(', ')}.`
      : ' No infrastructure code of the repository names the role or the resource: they are defined elsewhere.';
  // A Lambda function's own log group says whose role it is; elsewhere (a container, a server) the caller's.
  const caller = functionName ? 'the function' : 'the caller';
  const who = role ? `${caller}'s role, ${role},` : caller;
  if (action === undefined)
    return `no fix was attempted: S3 refused ${s3Operation ?? 'the call'} with a bare Access Denied, which does not say why: ${who} may lack the action on the object (s3:GetObject, s3:PutObject …) in its policy, the bucket's policy may deny it, the object may be encrypted with a KMS key the role may not use, or the key may not exist (without s3:ListBucket S3 answers 403, not 404). The fix is configuration, not this code; catching the error would hide it.${where} (no model call was made)`;
  const reason = REASON.exec(text)?.[1];
  const why = reason ? explainReason(reason) : '';
  const on = resource ? ` on ${resource}` : '';
  const clause =
    reason === undefined ? '' : reason.startsWith('no ') ? `, because ${reason} it` : `, ${reason}`;
  return `no fix was attempted: AWS denied ${who} ${action}${on}${clause}.${why} The fix is the permission, not this code: grant ${action}${resource ? ' on that resource' : ''} where the role's policy is defined; catching the error would hide it, and retrying cannot succeed.${resource ? ' If that is not the resource the code means to use (a name from the wrong environment variable or stage), the name is what is wrong.' : ''}${where} (no model call was made)`;
}

/** The JS SDK's S3 AccessDenied: the type alone, with the message `Access Denied`. */
function s3Denied(error: Denied): string | undefined {
  if (error.exceptionType !== 'AccessDenied' || error.message.trim() !== 'Access Denied') return undefined;
  return OPERATION.exec(error.raw)?.[1] ?? 'the call';
}

/** What each of IAM's reasons leaves to whom. */
function explainReason(reason: string): string {
  if (reason.includes('service control policy'))
    return " An organization's service control policy denies it: an administrator of the AWS Organization decides, not the function's own configuration.";
  if (reason.includes('resource-based policy'))
    return " The resource's own policy (a bucket policy, a key policy, a queue policy) has to allow it too.";
  if (reason.includes('boundary')) return " The role's permissions boundary has to allow it too.";
  if (reason.includes('explicit deny'))
    return ' A policy denies it explicitly: an allow elsewhere does not override that.';
  return '';
}

/** The names infrastructure code would use for an ARN or a physical name: the whole and its logical parts. */
function namesOf(value: string | undefined): string[] {
  if (!value) return [];
  let name = value;
  if (value.startsWith('arn:')) {
    const [, , service, , , ...rest] = value.split(':');
    const resource = rest.join(':');
    // arn:aws:s3:::bucket/key; arn:aws:dynamodb:…:table/Orders/index/x; arn:aws:lambda:…:function:fn
    name =
      service === 's3'
        ? (resource.split('/')[0] ?? '')
        : (resource.split(/[/:]/)[resource.includes('/') || resource.includes(':') ? 1 : 0] ?? '');
  }
  const names = new Set<string>();
  if (name.length >= 3) names.add(name);
  // ShopStack-OrdersTable1A2B3C4D-9XYZ8W7V6U5T, a name CloudFormation made: the construct's id
  // (OrdersTable) is what the code spells. A name a person chose (orders-fn-role) is used whole.
  const parts = name.split('-');
  if (parts.some((part) => GENERATED.test(part)))
    for (const part of parts) {
      const logical = part.replace(GENERATED_SUFFIX, '');
      if (logical !== part && logical.length >= 5 && /[a-z]/.test(logical)) names.add(logical);
    }
  return [...names];
}

/** `file:line` of the first lines of infrastructure code that name any of `needles`. */
async function placesNaming(repo: RepoReader, needles: readonly string[]): Promise<string[]> {
  if (needles.length === 0) return [];
  // The name as a word of its own: `Orders`, not the `Orders` of `OrdersFunction`.
  const patterns = needles.map(
    (needle) => new RegExp(`(?<![\\w-])${needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`),
  );
  const files = (await repo.listFiles())
    .filter(
      (e) =>
        (e.kind === 'file' || e.kind === 'executable') &&
        INFRA_FILE.test(e.path) &&
        !VENDORED_REPO_DIR.test(e.path) &&
        !BUILD_OUTPUT.test(e.path),
    )
    .map((e) => e.path)
    .slice(0, MAX_INFRA_FILES);
  const places: string[] = [];
  for (const file of files) {
    const source = await readText(repo, file);
    if (source === undefined) continue;
    // A program in lib/ or bin/ is infrastructure only when it builds a stack: application code
    // that names the table is where the call is made, not where it is allowed.
    if (/\.(?:ts|js|py)$/.test(file) && !IAC_PROGRAM.test(source)) continue;
    const lines = source.split('\n');
    const index = lines.findIndex((line) => patterns.some((pattern) => pattern.test(line)));
    if (index >= 0) places.push(`${file}:${index + 1}`);
    if (places.length >= MAX_PLACES) break;
  }
  return places;
}
