// Incremental ADS (DeltaAggregatedResources). The stream tracks which version of each resource the
// client holds (from `initial_resource_versions`, then from what was sent) and sends only the
// difference: changed resources, and `removed_resources` for ones gone or asked for but missing.
// Subscription changes are themselves deltas, so they apply even from a stale-nonce request.

import { TypeUrl } from '../../../shared/xds/types.ts';
import type { ServedResource, ServedType } from '../served-snapshot.ts';
import { AdsStream, type Outgoing, type SentRecord, type TypeState } from './ads-stream.ts';
import { type DeltaRequest, deltaNonceField, deltaRemovedField } from './messages.ts';
import { isFullSetType } from './resource-types.ts';

interface DeltaTypeState extends TypeState {
  wildcard: boolean;
  subscribed: Set<string>;
  /** Resource name → version the client holds, as far as this stream knows. */
  known: Map<string, string>;
  /** Names newly subscribed: if missing, the client is told so through removed_resources. */
  unanswered: Set<string>;
  /** Resource name → version the client rejected; never sent again on this stream. */
  nacked: Map<string, string>;
}

export class DeltaStream extends AdsStream<DeltaRequest, DeltaTypeState> {
  readonly protocol = 'delta' as const;

  protected newTypeState(typeUrl: string): DeltaTypeState {
    return {
      ...this.baseTypeState(typeUrl),
      wildcard: false,
      subscribed: new Set(),
      known: new Map(),
      unanswered: new Set(),
      nacked: new Map(),
    };
  }

  protected onRequest(state: DeltaTypeState, request: DeltaRequest): void {
    const settled = this.settle(state, request.responseNonce, request.errorDetail);
    if (settled === 'first') {
      state.requested = true;
      state.mustAnswer = true;
      for (const [name, version] of Object.entries(request.initialResourceVersions))
        state.known.set(name, version);
      // A first LDS or CDS request that names nothing is the legacy wildcard subscription.
      if (isFullSetType(state.typeUrl) && request.subscribe.length === 0) state.wildcard = true;
    }
    for (const name of request.subscribe) {
      if (name === '*') state.wildcard = true;
      else if (!state.subscribed.has(name)) {
        state.subscribed.add(name);
        state.unanswered.add(name);
      }
    }
    for (const name of request.unsubscribe) {
      if (name === '*') state.wildcard = false;
      else {
        state.subscribed.delete(name);
        state.unanswered.delete(name);
        if (!state.wildcard) state.known.delete(name);
      }
    }
  }

  protected override onSent(state: DeltaTypeState, record: SentRecord): void {
    for (const [name, version] of record.updates ?? []) {
      state.known.set(name, version);
      state.unanswered.delete(name);
    }
    for (const name of record.removed ?? []) {
      state.known.delete(name);
      state.unanswered.delete(name);
    }
  }

  protected override onNack(state: DeltaTypeState, rejected: SentRecord): void {
    for (const [name, version] of rejected.updates ?? []) state.nacked.set(name, version);
  }

  protected build(state: DeltaTypeState, served: ServedType): Outgoing | undefined {
    const names = new Set([...state.subscribed, ...state.known.keys()]);
    if (state.wildcard) for (const name of served.resources.keys()) names.add(name);
    const updates: ServedResource[] = [];
    const removed: string[] = [];
    // Clusters go only once listeners and routes have moved on (make before break).
    let holdRemovals: boolean | undefined;
    const mayRemove = () => {
      holdRemovals ??= state.typeUrl === TypeUrl.Cluster && this.routingPending();
      return !holdRemovals;
    };
    for (const name of [...names].sort()) {
      const resource = served.resources.get(name);
      if (!resource) {
        if (state.unanswered.has(name) || (state.known.has(name) && mayRemove())) removed.push(name);
        continue;
      }
      if (!state.wildcard && !state.subscribed.has(name)) continue;
      if (state.known.get(name) === resource.version) continue;
      if (state.nacked.get(name) === resource.version) continue;
      updates.push(resource);
    }
    if (updates.length === 0 && removed.length === 0 && !state.mustAnswer) return undefined;
    return {
      parts: [served.deltaHeader, ...updates.map((r) => r.deltaEntry), ...removed.map(deltaRemovedField)],
      record: {
        versionInfo: served.versionInfo,
        signature: '',
        resources: updates.length,
        updates: updates.map((r) => [r.name, r.version] as const),
        removed,
      },
    };
  }

  protected nonceField(nonce: string): Uint8Array {
    return deltaNonceField(nonce);
  }

  protected subscription(state: DeltaTypeState): string[] {
    return [...(state.wildcard ? ['*'] : []), ...[...state.subscribed].sort()];
  }
}
