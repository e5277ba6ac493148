// The relay's TLS plumbing: PEM files checked at start with the flag named, and the identities a
// client certificate carries as a real TLS handshake presents them (SANs first, else the CN).

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, createServer, type PeerCertificate } from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { RelayConfigError } from '../../../services/relay/errors.ts';
import {
  certificateIdentities,
  loadRelayTls,
  parseSubjectAltNames,
  readPem,
} from '../../../services/relay/tls.ts';
import { createTestCa, type PemFiles, readPemFile, type TestCa } from './tls-certs.ts';

let ca: TestCa;
let server: PemFiles;

beforeAll(async () => {
  ca = await createTestCa();
  server = await ca.issue('relay', { sans: ['DNS:localhost', 'IP:127.0.0.1'] });
}, 30_000);

/** The client certificate as the server side of a real mTLS handshake sees it. */
async function peerCertificateOf(client: PemFiles): Promise<PeerCertificate> {
  const caPem = await readPemFile(ca.cert);
  const tlsServer = createServer({
    cert: await readPemFile(server.cert),
    key: await readPemFile(server.key),
    ca: caPem,
    requestCert: true,
    rejectUnauthorized: true,
  });
  const seen = new Promise<PeerCertificate>((resolve) =>
    tlsServer.on('secureConnection', (socket) => {
      resolve(socket.getPeerCertificate());
      socket.end();
    }),
  );
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  const address = tlsServer.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const socket = connect({
    host: '127.0.0.1',
    port,
    ca: caPem,
    cert: await readPemFile(client.cert),
    key: await readPemFile(client.key),
    servername: 'localhost',
  });
  socket.on('error', () => {});
  try {
    return await seen;
  } finally {
    socket.destroy();
    tlsServer.close();
  }
}

describe('certificateIdentities', () => {
  it('takes URI and DNS SANs (a SPIFFE ID first of all) and ignores the CN when there are SANs', async () => {
    // Prepare
    const client = await ca.issue('edge', {
      cn: 'ignored-cn',
      sans: ['URI:spiffe://fleet/ns/infra/sa/edge', 'DNS:edge.fleet.internal', 'IP:10.0.0.1'],
    });

    // Act
    const identities = certificateIdentities(await peerCertificateOf(client));

    // Assess
    expect(identities).toEqual(['spiffe://fleet/ns/infra/sa/edge', 'edge.fleet.internal']);
  });

  it('falls back to the subject CN for a certificate without URI or DNS SANs', async () => {
    // Prepare
    const client = await ca.issue('legacy', { cn: 'legacy-proxy', sans: ['IP:10.0.0.2'] });

    // Act
    const identities = certificateIdentities(await peerCertificateOf(client));

    // Assess
    expect(identities).toEqual(['legacy-proxy']);
  });

  it('has no identity without a certificate', () => {
    expect(certificateIdentities(undefined)).toEqual([]);
  });
});

describe('parseSubjectAltNames', () => {
  it('splits outside quotes, so a quoted value may hold a comma', () => {
    // Act
    const sans = parseSubjectAltNames('DNS:a.example, URI:"spiffe://fleet/a,b", IP Address:10.0.0.1');

    // Assess
    expect(sans).toEqual([
      { type: 'DNS', value: 'a.example' },
      { type: 'URI', value: 'spiffe://fleet/a,b' },
      { type: 'IP Address', value: '10.0.0.1' },
    ]);
  });
});

describe('loadRelayTls', () => {
  it('reads a matching certificate and key, and the client CA for mTLS', async () => {
    // Act
    const tls = await loadRelayTls({ cert: server.cert, key: server.key, clientCa: ca.cert });

    // Assess
    expect(tls.cert.toString()).toContain('-----BEGIN CERTIFICATE-----');
    expect(tls.key.toString()).toContain('PRIVATE KEY-----');
    expect(tls.clientCa?.toString()).toContain('-----BEGIN CERTIFICATE-----');
  });

  it('refuses a key that does not belong to the certificate, naming --tls-key', async () => {
    // Prepare
    const other = await ca.issue('other', { sans: ['DNS:other'] });

    // Act + Assess
    await expect(loadRelayTls({ cert: server.cert, key: other.key })).rejects.toThrow(
      new RegExp(
        `^--tls-key ${other.key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not the private key of --tls-cert`,
      ),
    );
  });

  it('refuses a certificate outside its validity period', async () => {
    // Act + Assess: the test certificates are valid for one day.
    await expect(
      loadRelayTls(
        { cert: server.cert, key: server.key },
        undefined,
        () => new Date(Date.now() + 3 * 86_400_000),
      ),
    ).rejects.toThrow(/^--tls-cert .*: the certificate is valid from .* to .*, not now$/);
  });

  it('names the flag for a missing file, a file that is not PEM, and a PEM that is not a certificate', async () => {
    // Prepare
    const notPem = join(ca.dir, 'not.pem');
    await writeFile(notPem, 'hello');

    // Act + Assess
    await expect(loadRelayTls({ cert: join(ca.dir, 'missing.pem'), key: server.key })).rejects.toThrow(
      /^--tls-cert .*missing\.pem: ENOENT/,
    );
    await expect(loadRelayTls({ cert: server.cert, key: server.key, clientCa: notPem })).rejects.toThrow(
      /^--client-ca .*not\.pem: not a PEM file/,
    );
    await expect(loadRelayTls({ cert: server.key, key: server.key })).rejects.toThrow(
      /^--tls-cert .*: not a PEM certificate/,
    );
    await expect(readPem(notPem, '--tls-key')).rejects.toBeInstanceOf(RelayConfigError);
  });
});
