// TLS for the relay's gRPC listener (and mutual TLS when a client CA is given), TLS towards a
// parent relay, and the identities a verified client certificate carries.

import { readFile } from 'node:fs/promises';
import type { PeerCertificate } from 'node:tls';
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
