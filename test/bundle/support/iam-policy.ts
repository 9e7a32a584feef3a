/**
 * IAM policy evaluation, as AWS documents it for a principal and a resource in one account:
 * an explicit Deny in any applicable policy wins; otherwise an Allow in the identity policies
 * (or a resource policy naming the principal itself) allows; otherwise the request is
 * implicitly denied. KMS differs: a key policy must allow, either the principal directly or
 * the account (which delegates to the identity policies).
 */

/** One policy statement, as in a template (values may be a string or a list). */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** A policy document and where it came from (for readable decisions). */
export interface NamedPolicy {
  /** e.g. `identity LoadFunctionServiceRoleDefaultPolicy…` or `bucket policy of …`. */
  readonly name: string;
  readonly statements: readonly Statement[];
}

/** Who calls: the role and its session. */
export interface Principal {
  /** `arn:aws:iam::<account>:role/<name>` */
  readonly roleArn: string;
  /** `arn:aws:sts::<account>:assumed-role/<name>/<session>` */
  readonly sessionArn: string;
  readonly account: string;
}

/** One authorisation question. */
export interface AccessRequest {
  readonly principal: Principal;
  readonly action: string;
  readonly resource: string;
  /** Condition keys (any case) and their values. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/** The answer, with the statement that decided it. */
export interface Decision {
  readonly allowed: boolean;
  /** Why, in the words of AWS's AccessDenied messages. */
  readonly reason: string;
}

const list = (v: string | readonly string[] | undefined): readonly string[] =>
  v === undefined ? [] : typeof v === 'string' ? [v] : v;

/** IAM wildcard match: `*` any run of characters, `?` one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
      .join('')}$`,
    ignoreCase ? 'is' : 's',
  );
  return re.test(value);
}

function actionMatches(st: Statement, action: string): boolean {
  if (st.Action !== undefined) return list(st.Action).some((p) => wildcardMatch(p, action, true));
  if (st.NotAction !== undefined) return !list(st.NotAction).some((p) => wildcardMatch(p, action, true));
  return false;
}

function resourceMatches(st: Statement, resource: string): boolean {
  if (st.Resource !== undefined) return list(st.Resource).some((p) => wildcardMatch(p, resource));
  if (st.NotResource !== undefined) return !list(st.NotResource).some((p) => wildcardMatch(p, resource));
  // Key policies may omit Resource ("*" is implied by the key itself).
  return true;
}

/** How a resource policy's principal relates to the caller. */
type PrincipalMatch = 'principal' | 'account' | 'none';

function principalMatch(st: Statement, p: Principal): PrincipalMatch {
  const spec = st.Principal ?? st.NotPrincipal;
  if (spec === undefined) return 'none';
  const values: string[] = [];
  if (spec === '*') values.push('*');
  else if (typeof spec === 'object' && spec !== null) {
    const aws = (spec as Record<string, unknown>).AWS;
    if (aws !== undefined) values.push(...list(aws as string | string[]));
  }
  let match: PrincipalMatch = 'none';
  for (const v of values) {
    if (v === '*' || v === p.roleArn || v === p.sessionArn) match = 'principal';
    else if (match === 'none' && (v === p.account || v === `arn:aws:iam::${p.account}:root`))
      match = 'account';
  }
  if (st.NotPrincipal !== undefined) return match === 'none' ? 'principal' : 'none';
  return match;
}

/**
 * Evaluates a statement's `Condition` block against the request context. Unknown operators
 * throw: a condition the harness cannot evaluate must not pass silently.
 */
export function conditionsHold(
  condition: Statement['Condition'],
  context: Readonly<Record<string, string | readonly string[]>> = {},
): boolean {
  if (!condition) return true;
  const ctx = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), list(v)]));
  for (const [rawOperator, block] of Object.entries(condition)) {
    const setOp = /^(ForAnyValue|ForAllValues):/.exec(rawOperator)?.[1];
    const withoutSet = rawOperator.replace(/^(ForAnyValue|ForAllValues):/, '');
    const ifExists = withoutSet.endsWith('IfExists');
    const operator = ifExists ? withoutSet.slice(0, -'IfExists'.length) : withoutSet;
    for (const [key, expected] of Object.entries(block)) {
      const wanted = (Array.isArray(expected) ? expected : [expected]).map(String);
      const actual = ctx.get(key.toLowerCase());
      if (operator === 'Null') {
        if ((actual === undefined) !== (wanted[0] === 'true')) return false;
        continue;
      }
      const negated = /Not/.test(operator);
      if (actual === undefined || actual.length === 0) {
        // A missing key fails a positive condition and satisfies a negated one (and IfExists).
        if (ifExists || negated || setOp === 'ForAllValues') continue;
        return false;
      }
      const test = (a: string): boolean => compare(operator, a, wanted);
      const holds = setOp === 'ForAllValues' ? actual.every(test) : actual.some(test);
      if (!holds) return false;
    }
  }
  return true;
}

function compare(operator: string, actual: string, wanted: readonly string[]): boolean {
  const num = (s: string) => Number(s);
  const date = (s: string) => Date.parse(s);
  switch (operator) {
    case 'StringEquals':
    case 'ArnEquals':
      return wanted.includes(actual);
    case 'StringNotEquals':
    case 'ArnNotEquals':
      return !wanted.includes(actual);
    case 'StringEqualsIgnoreCase':
      return wanted.some((w) => w.toLowerCase() === actual.toLowerCase());
    case 'StringNotEqualsIgnoreCase':
      return !wanted.some((w) => w.toLowerCase() === actual.toLowerCase());
    case 'StringLike':
    case 'ArnLike':
      return wanted.some((w) => wildcardMatch(w, actual));
    case 'StringNotLike':
    case 'ArnNotLike':
      return !wanted.some((w) => wildcardMatch(w, actual));
    case 'Bool':
      return wanted.some((w) => w.toLowerCase() === actual.toLowerCase());
    case 'NumericEquals':
      return wanted.some((w) => num(actual) === num(w));
    case 'NumericNotEquals':
      return !wanted.some((w) => num(actual) === num(w));
    case 'NumericLessThan':
      return wanted.some((w) => num(actual) < num(w));
    case 'NumericLessThanEquals':
      return wanted.some((w) => num(actual) <= num(w));
    case 'NumericGreaterThan':
      return wanted.some((w) => num(actual) > num(w));
    case 'NumericGreaterThanEquals':
      return wanted.some((w) => num(actual) >= num(w));
    case 'DateLessThan':
      return wanted.some((w) => date(actual) < date(w));
    case 'DateGreaterThan':
      return wanted.some((w) => date(actual) > date(w));
    default:
      throw new Error(`the bundle harness cannot evaluate the IAM condition operator ${operator}`);
  }
}

function applies(st: Statement, req: AccessRequest): boolean {
  return (
    actionMatches(st, req.action) &&
    resourceMatches(st, req.resource) &&
    conditionsHold(st.Condition, { ...standardContext(req.principal), ...req.context })
  );
}

function standardContext(p: Principal): Record<string, string> {
  return { 'aws:PrincipalArn': p.roleArn, 'aws:PrincipalAccount': p.account, 'aws:userid': p.sessionArn };
}

const describe = (p: NamedPolicy, st: Statement): string =>
  `${p.name}${st.Sid ? ` (statement ${st.Sid})` : ''}`;

/**
 * Decides a request the way IAM does for same-account access.
 *
 * @param identity the role's policies (inline, attached, managed)
 * @param resource the resource's own policy (bucket, secret, topic), if any
 * @example
 * authorize({ principal, action: 's3:PutObject', resource: 'arn:aws:s3:::b/k' }, rolePolicies, [bucketPolicy]);
 */
export function authorize(
  req: AccessRequest,
  identity: readonly NamedPolicy[],
  resource: readonly NamedPolicy[] = [],
): Decision {
  for (const p of [...identity, ...resource]) {
    for (const st of p.statements) {
      const isResourcePolicy = resource.includes(p);
      if (st.Effect !== 'Deny' || !applies(st, req)) continue;
      if (isResourcePolicy && principalMatch(st, req.principal) === 'none') continue;
      return { allowed: false, reason: `with an explicit deny in ${describe(p, st)}` };
    }
  }
  for (const p of identity) {
    for (const st of p.statements) {
      if (st.Effect === 'Allow' && applies(st, req))
        return { allowed: true, reason: `allowed by ${describe(p, st)}` };
    }
  }
  for (const p of resource) {
    for (const st of p.statements) {
      if (st.Effect === 'Allow' && applies(st, req) && principalMatch(st, req.principal) === 'principal') {
        return { allowed: true, reason: `allowed by ${describe(p, st)}` };
      }
    }
  }
  return { allowed: false, reason: `because no identity-based policy allows the ${req.action} action` };
}

/**
 * Decides a KMS request: the key policy must allow it, naming the caller, or naming the
 * account and so delegating to the identity policies, which must then allow it too.
 */
export function authorizeKms(
  req: AccessRequest,
  identity: readonly NamedPolicy[],
  keyPolicy: NamedPolicy,
): Decision {
  const denied = authorize(req, identity, [keyPolicy]);
  if (!denied.allowed && denied.reason.startsWith('with an explicit deny')) return denied;
  let delegates = false;
  for (const st of keyPolicy.statements) {
    if (st.Effect !== 'Allow' || !applies(st, req)) continue;
    const match = principalMatch(st, req.principal);
    if (match === 'principal') return { allowed: true, reason: `allowed by ${describe(keyPolicy, st)}` };
    if (match === 'account') delegates = true;
  }
  if (!delegates)
    return { allowed: false, reason: `because the key policy of ${req.resource} allows no such access` };
  for (const p of identity) {
    for (const st of p.statements) {
      if (st.Effect === 'Allow' && applies(st, req)) {
        return { allowed: true, reason: `allowed by ${describe(p, st)} (the key policy delegates to IAM)` };
      }
    }
  }
  return { allowed: false, reason: `because no identity-based policy allows the ${req.action} action` };
}
