import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ChangeEventError } from '../../../shared/pipeline/apply-change-event.ts';
import { parseChangeEventMessage } from '../../../shared/pipeline/change-event-message.ts';

const sample = readFileSync(new URL('../../events/eventbridge/change-event.json', import.meta.url), 'utf8');

describe('parseChangeEventMessage', () => {
  it('returns the validated detail of an EventBridge change event', () => {
    // Act
    const detail = parseChangeEventMessage(sample);

    // Assess
    expect(detail).toMatchObject({
      clusterId: 'prod-eu-1',
      kind: 'Backend',
      resourceVersion: '48213',
      change: 'UPSERT',
    });
  });

  it('names every invalid field of the detail', () => {
    // Prepare
    const event = JSON.parse(sample);
    event.detail.resourceVersion = 'abc';
    delete event.detail.object;

    // Act
    const error = (() => {
      try {
        parseChangeEventMessage(JSON.stringify(event));
      } catch (err) {
        return err;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(ChangeEventError);
    expect((error as Error).message).toContain('detail.resourceVersion: must be a decimal integer string');
    expect((error as Error).message).toContain(
      'detail.object: an UPSERT carries exactly one of object or objectRef',
    );
  });

  it('rejects events of another source and bodies that are not JSON', () => {
    // Prepare
    const foreign = JSON.stringify({ ...JSON.parse(sample), source: 'aws.s3' });

    // Act + Assess
    expect(() => parseChangeEventMessage(foreign)).toThrow(/not a change event: source/);
    expect(() => parseChangeEventMessage('{nope')).toThrow(ChangeEventError);
  });
});
