// `fleetplane relay` flags for the S3 source and notifications: each bad combination is refused
// before anything starts, with a message naming the flag and how to fix it.

import { describe, expect, it } from 'vitest';
import { type RelayCliOptions, runRelay } from '../../../cli/relay.ts';

const base: RelayCliOptions = {
  source: 's3://fleet-snapshots/prod',
  listen: '127.0.0.1:0',
  admin: '127.0.0.1:0',
  ackTimeout: '15s',
  maxConnectionAge: '30m',
  logLevel: 'error',
};

describe('fleetplane relay: S3 and notification flags', () => {
  it.each([
    [
      'a bucket name S3 does not allow',
      { source: 's3://Bad_Bucket' },
      /--source "s3:\/\/Bad_Bucket": expected s3:\/\/bucket or s3:\/\/bucket\/prefix/,
    ],
    [
      'an unknown scheme',
      { source: 'gs://bucket' },
      /--source "gs:\/\/bucket": unknown scheme; use a directory or xds:\/\/<host>:<port>, or s3:\/\/<bucket>/,
    ],
    ['a zero poll interval', { pollInterval: '0' }, /--poll-interval "0": must be more than 0/],
    ['a zero discover interval', { discoverInterval: '0s' }, /--discover-interval "0s": must be more than 0/],
    [
      'a token file without --notify-listen',
      { notifyTokenFile: '/tmp/token' },
      /--notify-token-file: only used with --notify-listen/,
    ],
    [
      '--notify-listen without a token',
      { notifyListen: '127.0.0.1:0' },
      /--notify-listen needs a bearer token: pass --notify-token-file <file> or set FLEETPLANE_NOTIFY_TOKEN/,
    ],
    [
      '--notify-listen that is not host:port',
      { notifyListen: 'nowhere' },
      /--notify-listen "nowhere": expected host:port/,
    ],
    [
      'a queue that is not a URL',
      { notifyQueue: 'relay-notify' },
      /--notify-queue "relay-notify": expected a queue URL/,
    ],
    [
      'notifications for a parent relay',
      { source: 'xds://127.0.0.1:18000', notifyQueue: 'https://sqs.eu-west-1.amazonaws.com/1/q' },
      /--notify-queue: a parent relay pushes its updates/,
    ],
  ])('refuses %s', async (_what, extra, message) => {
    // Prepare
    const previous = process.env.FLEETPLANE_NOTIFY_TOKEN;
    delete process.env.FLEETPLANE_NOTIFY_TOKEN;

    // Act + Assess
    try {
      await expect(runRelay({ ...base, ...extra }, { stderr: { write: () => true } })).rejects.toThrow(
        message,
      );
    } finally {
      if (previous !== undefined) process.env.FLEETPLANE_NOTIFY_TOKEN = previous;
    }
  });
});
