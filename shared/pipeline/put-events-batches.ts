// EventBridge PutEvents limits, as the service applies them: at most 10 entries per call, and the
// entries of one call may total at most 256 KiB, each entry measured the way EventBridge documents
// ("Calculating PutEvents event entry size"): 14 bytes for Time when set, plus the UTF-8 bytes of
// Source, DetailType, Detail and every Resources entry. EventBusName does not count.

import { PUT_EVENTS_MAX_BYTES, PUT_EVENTS_MAX_ENTRIES } from '../events/change-event.ts';

export interface SizedEntry {
  source: string;
  detailType: string;
  /** The serialised detail, exactly as sent. */
  detail: string;
  resources?: readonly string[];
  time?: Date;
}

const utf8 = new TextEncoder();
const byteLength = (s: string) => utf8.encode(s).byteLength;

export function putEventsEntrySize(entry: SizedEntry): number {
  let size = entry.time ? 14 : 0;
  size += byteLength(entry.source) + byteLength(entry.detailType) + byteLength(entry.detail);
  for (const resource of entry.resources ?? []) size += byteLength(resource);
  return size;
}

export interface BatchLimits {
  maxEntries: number;
  maxBytes: number;
}

export const PUT_EVENTS_LIMITS: BatchLimits = {
  maxEntries: PUT_EVENTS_MAX_ENTRIES,
  maxBytes: PUT_EVENTS_MAX_BYTES,
};

/**
 * Splits entries into calls, keeping their order, greedily filling each call up to both limits.
 * An entry larger than `maxBytes` on its own can never be sent; it is returned in `oversized`.
 */
export function planPutEventsBatches<T>(
  entries: readonly T[],
  sizeOf: (entry: T) => number,
  limits: BatchLimits = PUT_EVENTS_LIMITS,
): { batches: T[][]; oversized: T[] } {
  const batches: T[][] = [];
  const oversized: T[] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = sizeOf(entry);
    if (size > limits.maxBytes) {
      oversized.push(entry);
      continue;
    }
    if (current.length === limits.maxEntries || bytes + size > limits.maxBytes) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return { batches, oversized };
}

/** PutEvents result codes worth another try; the others (MalformedDetail, AccessDenied...) never heal. */
export const RETRYABLE_PUT_EVENTS_CODES: ReadonlySet<string> = new Set([
  'InternalFailure',
  'InternalException',
  'ThrottlingException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/** Exponential backoff with full jitter: a random delay in [0, min(cap, base * 2^(retry-1))). */
export function backoffDelayMs(
  retry: number,
  options: { baseMs: number; capMs: number },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}
