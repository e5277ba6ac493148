import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  planPutEventsBatches,
  putEventsEntrySize,
} from '../../../shared/pipeline/put-events-batches.ts';

describe('putEventsEntrySize', () => {
  it('counts UTF-8 bytes of source, detail-type, detail and resources, and 14 bytes for a time', () => {
    // Prepare
    const entry = { source: 'src', detailType: 'tÿpe', detail: '{"a":"€"}', resources: ['arn:x', 'é'] };

    // Act
    const withoutTime = putEventsEntrySize(entry);
    const withTime = putEventsEntrySize({ ...entry, time: new Date() });

    // Assess: 3 + 5 + 11 + 5 + 2
    expect(withoutTime).toBe(26);
    expect(withTime).toBe(40);
  });
});

describe('planPutEventsBatches', () => {
  const size = (n: number) => n;

  it('fills calls up to 10 entries', () => {
    // Act
    const { batches } = planPutEventsBatches(
      Array.from({ length: 23 }, () => 1),
      size,
    );

    // Assess
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
  });

  it('starts a new call before the byte limit would be passed, and keeps an exact fit', () => {
    // Act
    const { batches } = planPutEventsBatches([60, 40, 1, 100, 50], size, { maxEntries: 10, maxBytes: 100 });

    // Assess
    expect(batches).toEqual([[60, 40], [1], [100], [50]]);
  });

  it('sets aside entries that can never fit, keeping the others in order', () => {
    // Act
    const result = planPutEventsBatches([5, 101, 6], size, { maxEntries: 10, maxBytes: 100 });

    // Assess
    expect(result).toEqual({ batches: [[5, 6]], oversized: [101] });
  });
});

describe('backoffDelayMs', () => {
  it('doubles the ceiling per retry up to the cap and scales it by the jitter', () => {
    // Act
    const ceilings = [1, 2, 3, 4, 8].map((retry) =>
      backoffDelayMs(retry, { baseMs: 100, capMs: 500 }, () => 0.999),
    );
    const jittered = backoffDelayMs(3, { baseMs: 100, capMs: 500 }, () => 0.25);

    // Assess
    expect(ceilings).toEqual([99, 199, 399, 499, 499]);
    expect(jittered).toBe(100);
  });
});
