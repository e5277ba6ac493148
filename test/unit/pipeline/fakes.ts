// In-memory implementations of the pipeline's ports, for unit tests without a network. The IR
// store keeps the order-safety rules of the real one (resourceVersion compared as an integer,
// tombstones, delete wins a tie), so tests of the domain and the handlers see the same answers.

import type { ObjectRef } from '../../../shared/events/change-event.ts';
import type { AnyIrItem, ResourceId, ResourceStatus } from '../../../shared/ir/types.ts';
import { irSortKey } from '../../../shared/pipeline/definition.ts';
import type { ProxyRejection, RejectionStore } from '../../../shared/pipeline/proxy-rejections.ts';
import { type ClaimCheck, ClaimCheckError } from '../../../shared/ports/claim-check.ts';
import type {
  EventPublisher,
  OutboundEvent,
  PutEventsSummary,
} from '../../../shared/ports/event-publisher.ts';
import type { IrSource, IrStore, IrWriteOutcome, SnapshotState } from '../../../shared/ports/ir-store.ts';
import type { SnapshotStore, StoredObject } from '../../../shared/ports/snapshot-store.ts';
import { type GatewayRef, sha256Hex } from '../../../shared/snapshot/layout.ts';

interface StoredIr {
  rv: bigint;
  deleted: boolean;
  item?: AnyIrItem;
}

export class MemoryIrStore implements IrStore, RejectionStore {
  readonly items = new Map<string, StoredIr>();
  readonly rejections = new Map<string, ProxyRejection>();
  readonly snapshots = new Map<string, SnapshotState>();
  readonly statuses = new Map<string, ResourceStatus[]>();
  readonly calls: string[] = [];

  async putItem(clusterId: string, item: AnyIrItem, source: IrSource): Promise<IrWriteOutcome> {
    this.calls.push(`putItem ${clusterId} ${irSortKey(item.id)} ${source.resourceVersion}`);
    return this.#write(clusterId, item.id, source, { deleted: false, item });
  }

  async deleteItem(clusterId: string, id: ResourceId, source: IrSource): Promise<IrWriteOutcome> {
    this.calls.push(`deleteItem ${clusterId} ${irSortKey(id)} ${source.resourceVersion}`);
    return this.#write(clusterId, id, source, { deleted: true });
  }

  async listCluster(clusterId: string): Promise<AnyIrItem[]> {
    this.calls.push(`listCluster ${clusterId}`);
    return [...this.items.entries()]
      .filter(([key, v]) => key.startsWith(`${clusterId}|`) && !v.deleted)
      .map(([, v]) => v.item as AnyIrItem);
  }

  async getSnapshotState(clusterId: string, gateway: GatewayRef): Promise<SnapshotState | undefined> {
    return this.snapshots.get(`${clusterId}|${gateway.namespace}/${gateway.name}`);
  }

  async listSnapshotStates(clusterId: string): Promise<SnapshotState[]> {
    return [...this.snapshots.entries()].filter(([k]) => k.startsWith(`${clusterId}|`)).map(([, v]) => v);
  }

  async putSnapshotState(clusterId: string, state: SnapshotState): Promise<IrWriteOutcome> {
    this.calls.push(
      `putSnapshotState ${clusterId} ${state.gateway.namespace}/${state.gateway.name} ${state.version}`,
    );
    const key = `${clusterId}|${state.gateway.namespace}/${state.gateway.name}`;
    const current = this.snapshots.get(key);
    if (current && current.version >= state.version) return 'stale';
    this.snapshots.set(key, state);
    return 'written';
  }

  async replaceStatuses(clusterId: string, statuses: ResourceStatus[]) {
    this.calls.push(`replaceStatuses ${clusterId} ${statuses.length}`);
    const removed = Math.max(0, (this.statuses.get(clusterId)?.length ?? 0) - statuses.length);
    this.statuses.set(clusterId, statuses);
    return { written: statuses.length, removed };
  }

  async listStatuses(clusterId: string): Promise<ResourceStatus[]> {
    return this.statuses.get(clusterId) ?? [];
  }

  async putRejection(clusterId: string, rejection: ProxyRejection): Promise<IrWriteOutcome> {
    const key = `${clusterId}|${rejection.gateway.namespace}/${rejection.gateway.name}#${rejection.typeUrl}`;
    const current = this.rejections.get(key);
    if (current && current.version >= rejection.version) return 'stale';
    this.rejections.set(key, rejection);
    return 'written';
  }

  async listRejections(clusterId: string): Promise<ProxyRejection[]> {
    return [...this.rejections.entries()].filter(([k]) => k.startsWith(`${clusterId}|`)).map(([, v]) => v);
  }

  #write(
    clusterId: string,
    id: ResourceId,
    source: IrSource,
    next: { deleted: boolean; item?: AnyIrItem },
  ): IrWriteOutcome {
    const key = `${clusterId}|${irSortKey(id)}`;
    const rv = BigInt(source.resourceVersion);
    const current = this.items.get(key);
    const newer = !current || current.rv < rv;
    const deleteWinsTie = next.deleted && current?.rv === rv && !current.deleted;
    if (!newer && !deleteWinsTie) return 'stale';
    this.items.set(key, { rv, ...next });
    return 'written';
  }
}

export class MemorySnapshotStore implements SnapshotStore {
  readonly objects = new Map<string, StoredObject>();
  #tag = 0;

  async get(key: string): Promise<StoredObject | undefined> {
    return this.objects.get(key);
  }

  async putIfAbsent(key: string, body: Uint8Array): Promise<'created' | 'exists'> {
    if (this.objects.has(key)) return 'exists';
    this.objects.set(key, { body, etag: `"${++this.#tag}"` });
    return 'created';
  }

  async compareAndSwap(
    key: string,
    body: Uint8Array,
    _type: string,
    etag: string | undefined,
  ): Promise<boolean> {
    if (this.objects.get(key)?.etag !== etag) return false;
    this.objects.set(key, { body, etag: `"${++this.#tag}"` });
    return true;
  }

  /** Keys under `prefix`, sorted. */
  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

export class RecordingEventPublisher implements EventPublisher {
  readonly events: OutboundEvent[] = [];
  failWith: Error | undefined;

  async putEvents(events: readonly OutboundEvent[]): Promise<PutEventsSummary> {
    if (this.failWith) throw this.failWith;
    this.events.push(...events);
    return { sent: events.length, calls: 1, retries: 0 };
  }
}

export class MemoryClaimCheck implements ClaimCheck {
  readonly objects = new Map<string, Uint8Array>();

  async put(body: Uint8Array, name?: string): Promise<ObjectRef> {
    const sha256 = sha256Hex(body);
    const key = `claim-check/${name ? `${name}/` : ''}${sha256}.json`;
    this.objects.set(key, body);
    return { bucket: 'memory', key, sha256 };
  }

  async get(ref: ObjectRef): Promise<Uint8Array> {
    const body = this.objects.get(ref.key);
    if (!body) throw new ClaimCheckError(`${ref.key}: not found`);
    if (sha256Hex(body) !== ref.sha256) throw new ClaimCheckError(`${ref.key}: sha256 mismatch`);
    return body;
  }
}
