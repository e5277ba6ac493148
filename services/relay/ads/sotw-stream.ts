// State-of-the-world ADS (StreamAggregatedResources). Every request repeats the client's full
// subscription for its type, so a request with a stale nonce can be dropped whole: the next one
// repeats it. LDS and CDS responses carry every resource; EDS, RDS and SDS carry the names asked
// for that exist, and a name asked for but missing goes out as soon as a version has it.

import { TypeUrl } from '../../../shared/xds/types.ts';
import type { ServedResource, ServedType } from '../served-snapshot.ts';
import { AdsStream, type Outgoing, type SentRecord, type TypeState } from './ads-stream.ts';
import { type SotwRequest, sotwNonceField } from './messages.ts';
import { isFullSetType } from './resource-types.ts';

interface SotwTypeState extends TypeState {
  names: Set<string>;
  /**
   * What the rejected response carried. It is never sent again on this stream: resending a NACKed
   * version is the NACK loop go-control-plane clients hit when a server answers every request.
   */
  nackedSignature?: string;
}

export class SotwStream extends AdsStream<SotwRequest, SotwTypeState> {
  readonly protocol = 'sotw' as const;

  protected newTypeState(typeUrl: string): SotwTypeState {
    return { ...this.baseTypeState(typeUrl), names: new Set() };
  }

  protected onRequest(state: SotwTypeState, request: SotwRequest): void {
    const settled = this.settle(state, request.responseNonce, request.errorDetail);
    if (settled === 'stale') return;
    if (settled === 'first' || settled === 'no-nonce') {
      state.requested = true;
      state.mustAnswer = true;
    }
    state.names = new Set(request.resourceNames);
  }

  protected override onNack(state: SotwTypeState, rejected: SentRecord): void {
    state.nackedSignature = rejected.signature;
  }

  protected build(state: SotwTypeState, served: ServedType): Outgoing | undefined {
    let resources: ServedResource[];
    let signature: string;
    if (isFullSetType(state.typeUrl) || state.names.has('*')) {
      resources = [...served.resources.values()];
      signature = served.contentHash;
      const retained = this.#retainedClusters(state, served);
      if (retained.length > 0) {
        resources = [...resources, ...retained].sort((a, b) => (a.name < b.name ? -1 : 1));
        signature = signatureOf(resources);
      }
    } else {
      resources = [];
      for (const name of [...state.names].sort()) {
        const resource = served.resources.get(name);
        if (resource) resources.push(resource);
      }
      signature = signatureOf(resources);
    }
    if (signature === state.nackedSignature) return undefined;
    if (!state.mustAnswer && signature === state.lastSent?.signature) return undefined;
    return {
      parts: [served.sotwHeader, ...resources.map((r) => r.sotwEntry)],
      record: {
        versionInfo: served.versionInfo,
        signature,
        resources: resources.length,
        ...(state.typeUrl === TypeUrl.Cluster ? { carried: resources } : {}),
      },
    };
  }

  /** Clusters the client has that this version drops, kept while listeners and routes catch up. */
  #retainedClusters(state: SotwTypeState, served: ServedType): ServedResource[] {
    if (state.typeUrl !== TypeUrl.Cluster) return [];
    const dropped = (state.lastSent?.carried ?? []).filter((r) => !served.resources.has(r.name));
    return dropped.length > 0 && this.routingPending() ? dropped : [];
  }

  protected nonceField(nonce: string): Uint8Array {
    return sotwNonceField(nonce);
  }

  protected subscription(state: SotwTypeState): string[] {
    if (isFullSetType(state.typeUrl) && state.names.size === 0) return ['*'];
    return [...state.names].sort();
  }
}

function signatureOf(resources: readonly ServedResource[]): string {
  return resources.map((r) => `${r.name}\0${r.version}`).join('\n');
}
