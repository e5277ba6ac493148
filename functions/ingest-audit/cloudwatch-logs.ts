// CloudWatch Logs subscription payloads: `awslogs.data` is base64 of gzip of a JSON document
// holding the log events. EKS writes one audit event (JSON) per log event of the
// `kube-apiserver-audit-*` streams in `/aws/eks/<cluster>/cluster`.

import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { AuditInputError } from '../../shared/pipeline/audit-event.ts';
import { fieldPath } from '../../shared/translate/common.ts';

const DecodedSchema = z.looseObject({
  messageType: z.enum(['DATA_MESSAGE', 'CONTROL_MESSAGE']),
  logGroup: z.string(),
  logStream: z.string(),
  logEvents: z.array(z.looseObject({ id: z.string(), timestamp: z.number(), message: z.string() })),
});

export type DecodedLogs = z.infer<typeof DecodedSchema>;

export function decodeLogsPayload(event: { awslogs?: { data?: unknown } }): DecodedLogs {
  const data = event.awslogs?.data;
  if (typeof data !== 'string' || data === '') throw new AuditInputError('awslogs.data', 'missing');
  let json: string;
  try {
    json = gunzipSync(Buffer.from(data, 'base64')).toString('utf8');
  } catch (err) {
    throw new AuditInputError('awslogs.data', 'not base64 of gzip data', { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new AuditInputError('awslogs.data', 'the decompressed payload is not JSON', { cause: err });
  }
  const parsed = DecodedSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AuditInputError(`awslogs.data ${fieldPath(issue?.path ?? [])}`, issue?.message ?? 'invalid');
  }
  return parsed.data;
}

/** `/aws/eks/<cluster>/cluster` → `<cluster>`. */
export function eksClusterName(logGroup: string): string | undefined {
  return /^\/aws\/eks\/([^/]+)\/cluster$/.exec(logGroup)?.[1];
}
