// What `fleetplane dev` prints: one line per published snapshot, and status problems (a relay NACK
// among them) when they appear and when they are gone.

import { describe, expect, it } from 'vitest';
import { ProblemReporter, snapshotLine } from '../../../services/local/dev.ts';
import type { ResourceStatus } from '../../../shared/ir/types.ts';
import { versionPrefix } from '../../../shared/snapshot/layout.ts';

const EDGE = { namespace: 'infra', name: 'edge' };

function gatewayStatus(programmed: 'True' | 'False', message: string): ResourceStatus {
  return {
    resource: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name: 'edge' },
    conditions: [
      { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'accepted' },
      {
        type: 'Programmed',
        status: programmed,
        reason: programmed === 'True' ? 'Programmed' : 'Invalid',
        message,
      },
    ],
  };
}

describe('fleetplane dev output', () => {
  it('names the version and the S3 key of its immutable manifest', () => {
    // Act
    const line = snapshotLine(
      {
        clusterId: 'local',
        gateway: EDGE,
        version: 2,
        latestKey: 'clusters/local/gateways/infra/edge/latest.json',
        manifestKey: `${versionPrefix('local', EDGE, 2)}manifest.json`,
      },
      'fleetplane-dev-snapshots',
    );

    // Assess
    expect(line).toBe(
      'snapshot infra/edge version 2 s3://fleetplane-dev-snapshots/clusters/local/gateways/infra/edge/versions/0000000002/manifest.json',
    );
  });

  it('prints a NACK condition once when it appears and once when a newer version clears it', () => {
    // Prepare
    const lines: string[] = [];
    const reporter = new ProblemReporter((line) => lines.push(line));
    const nack = 'node envoy-0 rejected Listener version 3: unknown filter';

    // Act
    reporter.update([gatewayStatus('True', 'programmed')]);
    reporter.update([gatewayStatus('False', nack)]);
    reporter.update([gatewayStatus('False', nack)]);
    reporter.update([gatewayStatus('True', 'programmed')]);

    // Assess
    expect(lines).toEqual([
      `problem Gateway infra/edge Programmed=False (Invalid): ${nack}`,
      `resolved Gateway infra/edge Programmed=False (Invalid): ${nack}`,
    ]);
  });
});
