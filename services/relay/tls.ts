// TLS for the relay's gRPC listener (and mutual TLS when a client CA is given), TLS towards a
// parent relay, and the identities a verified client certificate carries.

import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type PeerCertificate } from 'node:tls';
import { type ChannelCredentials, credentials, ServerCredentials } from '@grpc/grpc-js';
import { RelayConfigError } from './errors.ts';

/** PEM contents. */
export interface RelayTls {
  cert: Buffer;
  key: Buffer;
  /** CA bundle for client certificates: with it, every client must present one it signed (mTLS). */
  clientCa?: Buffer;
}

export function serverCredentials(tls: RelayTls | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    tls.clientCa ?? null,
    [{ cert_chain: tls.cert, private_key: tls.key }],
    tls.clientCa !== undefined,
  );
}

/** TLS towards a parent relay: its CA, and this relay's own certificate when the parent wants mTLS. */
export function channelCredentials(tls: { ca: Buffer; cert?: Buffer; key?: Buffer }): ChannelCredentials {
  return credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null);
}

/** Reads PEM files named by flags; a missing or unreadable file names its flag. */
export async function readPem(path: string, flag: string): Promise<Buffer> {
  let pem: Buffer;
  try {
    pem = await readFile(path);
  } catch (error) {
    throw new RelayConfigError(`${flag} ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (!pem.includes('-----BEGIN '))
    throw new RelayConfigError(`${flag} ${path}: not a PEM file (no "-----BEGIN" line)`);
  return pem;
}

/**
 * Reads and checks the listener's PEM files up front, so a wrong file fails at start with its flag
 * named rather than at the first handshake: the certificate parses and is within its validity
 * period, the key belongs to it, and the client CA bundle holds certificates.
 */
export async function loadRelayTls(
  files: { cert: string; key: string; clientCa?: string },
  flags = { cert: '--tls-cert', key: '--tls-key', clientCa: '--client-ca' },
  now: () => Date = () => new Date(),
): Promise<RelayTls> {
  const cert = await readPem(files.cert, flags.cert);
  const key = await readPem(files.key, flags.key);
  const leaf = parseCertificate(cert, `${flags.cert} ${files.cert}`);
  const at = now();
  if (new Date(leaf.validTo) < at || new Date(leaf.validFrom) > at)
    throw new RelayConfigError(
      `${flags.cert} ${files.cert}: the certificate is valid from ${leaf.validFrom} to ${leaf.validTo}, not now`,
    );
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new RelayConfigError(
      `${flags.key} ${files.key}: not the private key of ${flags.cert} ${files.cert} (${(error as Error).message})`,
      { cause: error },
    );
  }
  if (files.clientCa === undefined) return { cert, key };
  const clientCa = await readPem(files.clientCa, flags.clientCa);
  parseCertificate(clientCa, `${flags.clientCa} ${files.clientCa}`);
  return { cert, key, clientCa };
}

function parseCertificate(pem: Buffer, where: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new RelayConfigError(`${where}: not a PEM certificate (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/**
 * Who a verified client certificate says it is: its URI and DNS subject alternative names (a
 * SPIFFE ID, a service name), or its subject CN when it has neither, as RFC 6125 prescribes.
 */
export function certificateIdentities(cert: PeerCertificate | undefined): string[] {
  if (!cert) return [];
  const names = parseSubjectAltNames(cert.subjectaltname ?? '')
    .filter((san) => san.type === 'URI' || san.type === 'DNS')
    .map((san) => san.value);
  if (names.length > 0) return [...new Set(names)];
  const cn = (cert.subject as Record<string, string | string[] | undefined> | undefined)?.CN;
  return (Array.isArray(cn) ? cn : cn ? [cn] : []).filter((name) => name !== '');
}

/**
 * Node writes SANs as `DNS:a, URI:spiffe://b`, quoting a value with a comma or quote in it as a
 * JSON string (`URI:"spiffe://a,b"`), so the list is split outside quotes only.
 */
export function parseSubjectAltNames(text: string): Array<{ type: string; value: string }> {
  const out: Array<{ type: string; value: string }> = [];
  const entry = /\s*([A-Za-z][A-Za-z ]*):("(?:[^"\\]|\\.)*"|[^,]*)\s*(?:,|$)/gy;
  for (let match = entry.exec(text); match && match[0] !== ''; match = entry.exec(text)) {
    const raw = match[2] ?? '';
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        continue;
      }
    }
    out.push({ type: match[1] ?? '', value });
  }
  return out;
}
