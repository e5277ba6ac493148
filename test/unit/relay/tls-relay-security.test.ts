// cli/relay-security.ts: the relay's security and NACK-event flags as commander parses them, and
// every bad combination refused at start with the flags named.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addRelaySecurityOptions,
  type RelaySecurityCliOptions,
  relaySecurityFromOptions,
} from '../../../cli/relay-security.ts';
import { silentLogger } from '../../../services/common/log.ts';
import { LogNackReporter } from '../../../services/relay/nack-reporter.ts';
import { RelayMetrics } from '../../../services/relay/relay-metrics.ts';
import { createTestCa, type PemFiles, type TestCa } from './tls-certs.ts';

let ca: TestCa;
let relay: PemFiles;
let authz: string;

beforeAll(async () => {
  ca = await createTestCa();
  relay = await ca.issue('relay', { sans: ['DNS:localhost', 'IP:127.0.0.1'] });
  authz = join(ca.dir, 'authz.yaml');
  await writeFile(authz, 'spiffe://fleet/ns/infra/sa/edge: [c1/infra/edge]\n');
}, 30_000);

function parseFlags(args: string[]): RelaySecurityCliOptions {
  let parsed: RelaySecurityCliOptions = {};
  const command = addRelaySecurityOptions(new Command('relay').exitOverride()).action((opts) => {
    parsed = opts;
  });
  command.parse(args, { from: 'user' });
  return parsed;
}

const deps = () => ({ log: silentLogger, metrics: new RelayMetrics() });

describe('addRelaySecurityOptions', () => {
  it('adds --tls-cert, --tls-key, --client-ca, --authz, --nack-event-bus and --parent-*', () => {
    // Act
    const opts = parseFlags([
      '--tls-cert',
      'c.pem',
      '--tls-key',
      'k.pem',
      '--client-ca',
      'ca.pem',
      '--authz',
      'authz.yaml',
      '--nack-event-bus',
      'fleetplane',
      '--parent-ca',
      'pca.pem',
      '--parent-cert',
      'pc.pem',
      '--parent-key',
      'pk.pem',
    ]);

    // Assess
    expect(opts).toEqual({
      tlsCert: 'c.pem',
      tlsKey: 'k.pem',
      clientCa: 'ca.pem',
      authz: 'authz.yaml',
      nackEventBus: 'fleetplane',
      parentCa: 'pca.pem',
      parentCert: 'pc.pem',
      parentKey: 'pk.pem',
    });
  });
});

describe('relaySecurityFromOptions', () => {
  it('is plaintext with the log reporter when no flag is given', async () => {
    // Act
    const security = await relaySecurityFromOptions({}, deps());

    // Assess
    expect(security.tls).toBeUndefined();
    expect(security.authz).toBeUndefined();
    expect(security.nackReporter).toBeInstanceOf(LogNackReporter);
  });

  it('reads TLS, the client CA and the policy for mTLS', async () => {
    // Act
    const security = await relaySecurityFromOptions(
      parseFlags([
        '--tls-cert',
        relay.cert,
        '--tls-key',
        relay.key,
        '--client-ca',
        ca.cert,
        '--authz',
        authz,
      ]),
      deps(),
    );

    // Assess
    expect(security.tls?.clientCa).toBeInstanceOf(Buffer);
    expect(security.authz?.allows(['spiffe://fleet/ns/infra/sa/edge'], 'c1/infra/edge')).toBe(true);
    expect(security.authz?.allows(['spiffe://fleet/ns/infra/sa/edge'], 'c1/infra/other')).toBe(false);
  });

  it.each([
    [{ tlsCert: 'c.pem' }, /^--tls-cert needs --tls-key/],
    [{ tlsKey: 'k.pem' }, /^--tls-key needs --tls-cert/],
    [{ clientCa: 'ca.pem', authz: 'a.yaml' }, /^--client-ca needs --tls-cert and --tls-key/],
    [{ tlsCert: 'c.pem', tlsKey: 'k.pem', authz: 'a.yaml' }, /^--authz needs --client-ca/],
    [{ tlsCert: 'c.pem', tlsKey: 'k.pem', clientCa: 'ca.pem' }, /^--client-ca needs --authz/],
    [{ nackEventBus: ' ' }, /^--nack-event-bus: expected an event bus name or ARN/],
    [{ parentCert: 'c.pem', parentKey: 'k.pem' }, /^--parent-cert needs --parent-ca/],
    [{ parentKey: 'k.pem' }, /^--parent-key needs --parent-ca/],
    [{ parentCa: 'ca.pem', parentCert: 'c.pem' }, /^--parent-cert needs --parent-key/],
    [{ parentCa: 'ca.pem', parentKey: 'k.pem' }, /^--parent-key needs --parent-cert/],
  ] as Array<[RelaySecurityCliOptions, RegExp]>)('refuses %j', async (opts, message) => {
    await expect(relaySecurityFromOptions(opts, deps())).rejects.toThrow(message);
  });

  it('names the file flag when a file is wrong', async () => {
    await expect(relaySecurityFromOptions({ tlsCert: relay.cert, tlsKey: ca.key }, deps())).rejects.toThrow(
      /^--tls-key .*: not the private key of --tls-cert/,
    );
    await expect(
      relaySecurityFromOptions(
        { tlsCert: relay.cert, tlsKey: relay.key, clientCa: ca.cert, authz: join(ca.dir, 'nope.yaml') },
        deps(),
      ),
    ).rejects.toThrow(/^--authz .*nope\.yaml: ENOENT/);
    await expect(
      relaySecurityFromOptions({ parentCa: ca.cert, parentCert: relay.cert, parentKey: ca.key }, deps()),
    ).rejects.toThrow(/^--parent-key .*: not the private key of --parent-cert/);
    await expect(relaySecurityFromOptions({ parentCa: join(ca.dir, 'nope.pem') }, deps())).rejects.toThrow(
      /^--parent-ca .*nope\.pem: ENOENT/,
    );
  });

  it('builds channel credentials for a parent relay, with or without a client certificate', async () => {
    // Act
    const serverOnly = await relaySecurityFromOptions({ parentCa: ca.cert }, deps());
    const mutual = await relaySecurityFromOptions(
      { parentCa: ca.cert, parentCert: relay.cert, parentKey: relay.key },
      deps(),
    );

    // Assess
    expect(serverOnly.parentCredentials?._isSecure()).toBe(true);
    expect(mutual.parentCredentials?._isSecure()).toBe(true);
    expect((await relaySecurityFromOptions({}, deps())).parentCredentials).toBeUndefined();
  });

  it('needs an AWS region for --nack-event-bus', async () => {
    // Prepare: a client whose region provider finds none.
    const client = new EventBridgeClient({
      region: async () => {
        throw new Error('Region is missing');
      },
    });

    // Act + Assess
    await expect(
      relaySecurityFromOptions({ nackEventBus: 'fleetplane' }, { ...deps(), eventBridge: { client } }),
    ).rejects.toThrow(/^--nack-event-bus fleetplane: no AWS region configured \(set AWS_REGION\)/);
  });
});
