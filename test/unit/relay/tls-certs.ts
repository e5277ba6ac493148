// Throwaway X.509 material for the relay's TLS tests, made with the `openssl` CLI at test time
// (node:crypto cannot issue certificates; no keys are committed): a CA, and leaf certificates it
// signs with the SANs and CN a test needs, as PEM files in a temporary directory.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PemFiles {
  cert: string;
  key: string;
}

export interface TestCa extends PemFiles {
  dir: string;
  /** Issues a leaf certificate (server and client use) signed by this CA. */
  issue(name: string, subject: { cn?: string; sans?: string[] }): Promise<PemFiles>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 20_000 });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`openssl ${args.join(' ')}: ${e.stderr ?? e.message}`);
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A CA valid for a day, in a fresh temporary directory. */
export async function createTestCa(cn = 'fleetplane test CA'): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetplane-tls-'));
  const slug = cn.replace(/[^A-Za-z0-9]+/g, '-');
  const ca = { cert: join(dir, `${slug}.pem`), key: join(dir, `${slug}-key.pem`) };
  await openssl(
    [
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      ca.key,
      '-out',
      ca.cert,
      '-days',
      '1',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return {
    dir,
    ...ca,
    async issue(name, subject) {
      const leaf = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`) };
      const csr = join(dir, `${name}.csr`);
      const ext = join(dir, `${name}.ext`);
      await writeFile(
        ext,
        [
          'basicConstraints=CA:FALSE',
          'keyUsage=critical,digitalSignature',
          'extendedKeyUsage=serverAuth,clientAuth',
          ...(subject.sans?.length ? [`subjectAltName=${subject.sans.join(',')}`] : []),
        ].join('\n'),
      );
      await openssl(
        ['req', '-new', ...EC_KEY, '-keyout', leaf.key, '-out', csr, '-subj', `/CN=${subject.cn ?? name}`],
        dir,
      );
      await openssl(
        [
          'x509',
          '-req',
          '-in',
          csr,
          '-CA',
          ca.cert,
          '-CAkey',
          ca.key,
          '-CAcreateserial',
          '-out',
          leaf.cert,
          '-days',
          '1',
          '-extfile',
          ext,
        ],
        dir,
      );
      return leaf;
    },
  };
}

export const readPemFile = (path: string): Promise<Buffer> => readFile(path);
