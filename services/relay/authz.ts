// Which gateways a client identity may read (`--authz <file>`, JSON or YAML). Keys are identities
// as the client certificate carries them (tls.ts: a URI or DNS SAN, else the CN), or `*` for any
// verified client; values list `<clusterId>/<namespace>/<gateway>` patterns in which a whole
// segment may be `*`:
//
//   spiffe://fleet/ns/infra/sa/edge: [c1/infra/edge, c2/infra/edge]
//   relay-eu.fleet.internal: ["*/*/*"]        # a child relay fetches every gateway
//   ops.fleet.internal: ["c1/*/*"]            # every gateway of cluster c1
//
// Anything not granted is refused; an identity not listed gets nothing.

import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { RelayConfigError } from './errors.ts';

type Pattern = readonly [clusterId: string, namespace: string, gateway: string];

export class AuthzPolicy {
  private constructor(
    readonly grants: ReadonlyMap<string, readonly Pattern[]>,
    readonly origin: string,
  ) {}

  static async load(path: string): Promise<AuthzPolicy> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new RelayConfigError(`--authz ${path}: ${(error as Error).message}`, { cause: error });
    }
    return AuthzPolicy.parse(text, path);
  }

  /** Reads a policy; every problem is reported at once, each with its place in the file. */
  static parse(text: string, origin: string): AuthzPolicy {
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (error) {
      throw new RelayConfigError(`--authz ${origin}: not JSON or YAML: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const example = 'e.g. {"spiffe://fleet/ns/infra/sa/edge": ["c1/infra/edge"]}';
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
      throw new RelayConfigError(`--authz ${origin}: expected a map of identity to gateways, ${example}`);
    const errors: string[] = [];
    const grants = new Map<string, Pattern[]>();
    for (const [identity, value] of Object.entries(doc)) {
      const at = `[${JSON.stringify(identity)}]`;
      if (identity.trim() === '') errors.push(`${at}: an empty identity`);
      if (!Array.isArray(value)) {
        errors.push(`${at}: expected a list of <clusterId>/<namespace>/<gateway>, ${example}`);
        continue;
      }
      const patterns: Pattern[] = [];
      for (const [i, item] of value.entries()) {
        const pattern = typeof item === 'string' ? parsePattern(item) : undefined;
        if (pattern) patterns.push(pattern);
        else
          errors.push(
            `${at}[${i}]: ${JSON.stringify(item)} is not <clusterId>/<namespace>/<gateway> ` +
              '(each part a name or *, e.g. c1/infra/edge or c1/*/*)',
          );
      }
      grants.set(identity, patterns);
    }
    if (errors.length > 0) throw new RelayConfigError(`--authz ${origin}:\n  ${errors.join('\n  ')}`);
    return new AuthzPolicy(grants, origin);
  }

  /** Whether any of a client's identities may read `nodeCluster`. */
  allows(identities: readonly string[], nodeCluster: string): boolean {
    if (identities.length === 0) return false;
    const parts = nodeCluster.split('/');
    if (parts.length !== 3) return false;
    const candidates = [...identities, '*'];
    return candidates.some((identity) =>
      (this.grants.get(identity) ?? []).some((pattern) =>
        pattern.every((segment, i) => segment === '*' || segment === parts[i]),
      ),
    );
  }
}

function parsePattern(value: string): Pattern | undefined {
  const parts = value.split('/');
  if (parts.length !== 3) return undefined;
  if (parts.some((p) => p === '' || (p.includes('*') && p !== '*'))) return undefined;
  return parts as unknown as Pattern;
}
