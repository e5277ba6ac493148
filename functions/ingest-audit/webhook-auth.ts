// Authentication of the audit webhook (a Lambda Function URL with AuthType NONE).
//
// kube-apiserver's webhook backend can send a bearer token or a client certificate (from its
// webhook kubeconfig), but it cannot sign requests with SigV4, so the URL's AWS_IAM mode is out,
// and a Function URL does not terminate mutual TLS. So: one random bearer token per cluster,
// checked here. The function holds only the token's sha256 (AUDIT_WEBHOOK_TOKENS), never the
// token, so its configuration reveals nothing usable; the digest of the presented token is compared
// with every configured digest in constant time. The token also names the cluster: a cluster
// cannot send events in another cluster's name. Rotation: configure the new digest next to the
// old one, switch the API server, then remove the old one.

import { createHash, timingSafeEqual } from 'node:crypto';
import { FleetplaneError } from '../../shared/errors.ts';
import { ChangeEventDetailSchema } from '../../shared/events/change-event.ts';

export const AUDIT_WEBHOOK_TOKENS_ENV = 'AUDIT_WEBHOOK_TOKENS';

export interface WebhookToken {
  clusterId: string;
  sha256: Buffer;
}

export class WebhookTokenConfigError extends FleetplaneError {}

/** `<clusterId>=<sha256 hex of the token>[,<clusterId>=<sha256 hex>...]`; empty: no webhook access. */
export function parseWebhookTokens(value: string | undefined): WebhookToken[] {
  if (!value?.trim()) return [];
  return value.split(',').map((entry, i) => {
    const [clusterId = '', digest = '', extra] = entry.trim().split('=');
    const where = `${AUDIT_WEBHOOK_TOKENS_ENV} entry ${i + 1}`;
    if (extra !== undefined || !ChangeEventDetailSchema.shape.clusterId.safeParse(clusterId).success) {
      throw new WebhookTokenConfigError(
        `${where}: expected <clusterId>=<sha256 hex>, with a DNS-label cluster id (printf %s "$TOKEN" | sha256sum)`,
      );
    }
    if (!/^[0-9a-f]{64}$/i.test(digest)) {
      throw new WebhookTokenConfigError(
        `${where}: the digest must be 64 hex digits (the token's sha256, not the token)`,
      );
    }
    return { clusterId, sha256: Buffer.from(digest, 'hex') };
  });
}

/** The cluster whose token the `Authorization: Bearer` header carries; undefined when none matches. */
export function authenticate(
  authorization: string | undefined,
  tokens: readonly WebhookToken[],
): { clusterId: string } | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) return undefined;
  const digest = createHash('sha256').update(match[1], 'utf8').digest();
  let found: WebhookToken | undefined;
  // Every digest is compared, so the time taken does not say which entry (if any) matched.
  for (const token of tokens) {
    if (timingSafeEqual(digest, token.sha256) && !found) found = token;
  }
  return found ? { clusterId: found.clusterId } : undefined;
}
