import type { DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { classifyKey, readIrTableChange } from '../../../shared/aws/ir-table-layout.ts';
import { loadEvent } from '../functions/lambda.ts';

const records = loadEvent<DynamoDBStreamEvent>('dynamodb-streams/ir-changes.json').Records;
const bySeq = (seq: string) => {
  const record = records.find((r) => r.dynamodb?.SequenceNumber === seq);
  if (!record) throw new Error(`fixture has no record ${seq}`);
  return record;
};

describe('readIrTableChange', () => {
  it.each([
    ['100', 'c1', 'ir', true, 'content hash changed'],
    ['101', 'c1', 'ir', false, 'resourceVersion-only update'],
    ['102', 'c2', 'ir', true, 'new live item'],
    ['103', 'c1', 'snapshot', false, 'bookkeeping'],
    ['104', 'c1', 'status', false, 'derived status'],
    ['105', 'c1', 'ir', false, 'TTL removal of a tombstone'],
    ['106', 'c1', 'ir', true, 'content hash changed'],
  ])('record %s: cluster %s, %s item, affects snapshots: %s (%s)', (seq, clusterId, itemType, affects) => {
    // Act
    const change = readIrTableChange(bySeq(seq));

    // Assess
    expect(change).toMatchObject({ clusterId, itemType, affectsSnapshots: affects });
  });

  it('treats a tombstone over a live item as a change, and a second tombstone as none', () => {
    // Prepare
    const live = { contentHash: { S: 'a' }, deleted: { BOOL: false } };
    const tombstone = { deleted: { BOOL: true } };
    const keys = { pk: { S: 'CLUSTER#c1' }, sk: { S: 'Service#shop/web' } };

    // Act
    const deleted = readIrTableChange({
      eventName: 'MODIFY',
      dynamodb: { Keys: keys, OldImage: live, NewImage: tombstone },
    });
    const again = readIrTableChange({
      eventName: 'MODIFY',
      dynamodb: { Keys: keys, OldImage: tombstone, NewImage: tombstone },
    });

    // Assess
    expect(deleted?.affectsSnapshots).toBe(true);
    expect(again?.affectsSnapshots).toBe(false);
  });

  it('rebuilds when the stream carries no images to compare', () => {
    // Act
    const change = readIrTableChange({
      eventName: 'MODIFY',
      dynamodb: { Keys: { pk: { S: 'CLUSTER#c1' }, sk: { S: 'Service#shop/web' } } },
    });

    // Assess
    expect(change?.affectsSnapshots).toBe(true);
  });

  it('ignores keys the layout never writes', () => {
    // Act + Assess
    expect(classifyKey('TENANT#x', 'a')).toBeUndefined();
    expect(classifyKey('CLUSTER#', 'a')).toBeUndefined();
    expect(readIrTableChange({ dynamodb: { Keys: { pk: { S: 'CLUSTER#c1' } } } })).toBeUndefined();
  });
});
