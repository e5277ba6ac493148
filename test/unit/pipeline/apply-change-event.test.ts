import { describe, expect, it } from 'vitest';
import { applyChangeEvent, ChangeEventError } from '../../../shared/pipeline/apply-change-event.ts';
import { offloadLargeObject } from '../../../shared/pipeline/claim-check.ts';
import { MemoryClaimCheck, MemoryIrStore } from './fakes.ts';
import { backend, gatewayClass, remove, upsert } from './kube.ts';

describe('applyChangeEvent', () => {
  it('translates an upsert and stores the IR item under the envelope resourceVersion', async () => {
    // Prepare
    const irStore = new MemoryIrStore();

    // Act
    const result = await applyChangeEvent(upsert(backend('a.example.net'), '17'), { irStore });

    // Assess
    expect(result).toEqual({
      outcome: 'written',
      id: { group: 'gateway.kgateway.dev', kind: 'Backend', namespace: 'shop', name: 'payments-api' },
    });
    const [stored] = await irStore.listCluster('c1');
    expect(stored).toMatchObject({ kind: 'Backend', resourceVersion: '17', spec: { type: 'static' } });
    expect(stored?.conditions[0]).toMatchObject({ type: 'Accepted', status: 'True' });
  });

  it('drops a duplicate and an older event as stale', async () => {
    // Prepare
    const irStore = new MemoryIrStore();
    await applyChangeEvent(upsert(backend('new.example.net'), '20'), { irStore });

    // Act
    const duplicate = await applyChangeEvent(upsert(backend('new.example.net'), '20'), { irStore });
    const older = await applyChangeEvent(upsert(backend('old.example.net'), '19'), { irStore });

    // Assess
    expect([duplicate.outcome, older.outcome]).toEqual(['stale', 'stale']);
    expect(JSON.stringify(await irStore.listCluster('c1'))).toContain('new.example.net');
  });

  it('writes a tombstone for a delete, so a late upsert stays deleted', async () => {
    // Prepare
    const irStore = new MemoryIrStore();
    await applyChangeEvent(upsert(backend('a.example.net'), '5'), { irStore });

    // Act
    const deleted = await applyChangeEvent(remove(backend('a.example.net'), '7'), { irStore });
    const late = await applyChangeEvent(upsert(backend('a.example.net'), '6'), { irStore });

    // Assess
    expect([deleted.outcome, late.outcome]).toEqual(['written', 'stale']);
    expect(await irStore.listCluster('c1')).toEqual([]);
  });

  it('keeps a cluster-scoped resource in the empty namespace, so its delete finds it', async () => {
    // Prepare
    const irStore = new MemoryIrStore();

    // Act
    await applyChangeEvent(upsert(gatewayClass, '1'), { irStore });
    await applyChangeEvent(remove(gatewayClass, '2'), { irStore });

    // Assess
    expect(irStore.calls).toEqual([
      'putItem c1 GatewayClass.gateway.networking.k8s.io#/fleetplane 1',
      'deleteItem c1 GatewayClass.gateway.networking.k8s.io#/fleetplane 2',
    ]);
    expect(await irStore.listCluster('c1')).toEqual([]);
  });

  it('reads an object that travelled by claim check', async () => {
    // Prepare
    const irStore = new MemoryIrStore();
    const claimCheck = new MemoryClaimCheck();
    const detail = await offloadLargeObject(upsert(backend('claimed.example.net'), '3'), claimCheck, 10);
    expect(detail.object).toBeUndefined();

    // Act
    const result = await applyChangeEvent(detail, { irStore, claimCheck });

    // Assess
    expect(result.outcome).toBe('written');
    expect(JSON.stringify(await irStore.listCluster('c1'))).toContain('claimed.example.net');
  });

  it('ignores kinds it does not translate without writing anything', async () => {
    // Prepare
    const irStore = new MemoryIrStore();
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ca', namespace: 'shop' } };

    // Act
    const result = await applyChangeEvent(upsert(configMap, '1'), { irStore });

    // Assess
    expect(result.outcome).toBe('ignored');
    expect(irStore.calls).toEqual([]);
  });

  it('rejects an event whose object is not the resource the envelope names', async () => {
    // Prepare
    const irStore = new MemoryIrStore();
    const detail = { ...upsert(backend('a.example.net'), '1'), name: 'other' };

    // Act
    const error = await applyChangeEvent(detail, { irStore }).catch((err: unknown) => err);

    // Assess
    expect(error).toBeInstanceOf(ChangeEventError);
    expect((error as Error).message).toContain('gateway.kgateway.dev/Backend shop/other');
    expect(irStore.calls).toEqual([]);
  });

  it('stores an invalid resource with an Accepted=False condition naming the field', async () => {
    // Prepare
    const irStore = new MemoryIrStore();
    const broken = { ...backend('a.example.net'), spec: { static: { hosts: [{ host: 'a.example.net' }] } } };

    // Act
    await applyChangeEvent(upsert(broken, '1'), { irStore });

    // Assess
    const [stored] = await irStore.listCluster('c1');
    expect(stored?.spec).toBeNull();
    expect(stored?.conditions[0]).toMatchObject({
      status: 'False',
      message: expect.stringContaining('spec.static'),
    });
  });
});
