// Zod schemas for the core Kubernetes kinds the translators read: Service, EndpointSlice, Secret
// and ConfigMap. Only the fields routing needs are modelled; the rest is ignored, as the API
// server has already checked it. Secret and ConfigMap schemas never put values in messages.

import { z } from 'zod';
import { dnsLabel, portNumber, REQUIRED } from './common.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

const PROTOCOL = z.enum(['TCP', 'UDP', 'SCTP']);

// IANA_SVC_NAME: at most 15 lower-case alphanumerics or '-', at least one letter, no '--'.
const IANA_SVC_NAME = /^(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const namedPort = z
  .string()
  .max(15, 'must be at most 15 characters')
  .regex(IANA_SVC_NAME, {
    error: (iss) =>
      `${JSON.stringify(iss.input)} is not a port name: use up to 15 lower-case letters, digits and '-', with at least one letter`,
  });

export const servicePortSchema = z.object(
  {
    name: dnsLabel.optional(),
    port: portNumber,
    targetPort: z.union([portNumber, namedPort]).optional(),
    protocol: PROTOCOL.optional(),
    appProtocol: z.string().optional(),
  },
  REQUIRED,
);

export const serviceSpec = z.object(
  {
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).optional(),
    externalName: z
      .string()
      .max(253)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.?$/, {
        error: (iss) =>
          `${JSON.stringify(iss.input)} is not a DNS name: use lower-case letters, digits, '-' and '.' (e.g. "api.example.com")`,
      })
      .optional(),
    clusterIP: z.string().optional(),
    ports: z.array(servicePortSchema).optional(),
  },
  REQUIRED,
);

export const endpointSliceSchema = z.object({
  addressType: z.enum(['IPv4', 'IPv6', 'FQDN'], REQUIRED),
  ports: z
    .array(
      z.object({
        // '' is what the EndpointSlice controller writes for a Service's single unnamed port.
        name: z.union([z.literal(''), dnsLabel]).optional(),
        port: portNumber.optional(),
        protocol: PROTOCOL.optional(),
        appProtocol: z.string().optional(),
      }),
    )
    .max(100)
    .optional(),
  endpoints: z
    .array(
      z.object(
        {
          addresses: z.array(z.string(), REQUIRED).min(1, 'at least one address is required').max(100),
          conditions: z
            .object({
              ready: z.boolean().optional(),
              serving: z.boolean().optional(),
              terminating: z.boolean().optional(),
            })
            .optional(),
          zone: z.string().optional(),
          hostname: dnsLabel.optional(),
          nodeName: z.string().optional(),
        },
        REQUIRED,
      ),
    )
    .max(1000)
    .optional(),
});

const DATA_KEY = /^[-._a-zA-Z0-9]+$/;

const valueMessage = { error: () => 'must be a string' };

/**
 * Secret and ConfigMap data: keys of letters, digits, '-', '_' and '.', string values. Keys are
 * names, not values, so messages may show them; values never appear in a message.
 */
const dataMap = z.record(z.string(), z.string(valueMessage)).superRefine((map, ctx) => {
  for (const key of Object.keys(map)) {
    if (key.length > 253 || !DATA_KEY.test(key))
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `key ${JSON.stringify(key)} may only contain letters, digits, '-', '_' and '.' (at most 253)`,
      });
  }
});

export const secretSchema = z.object({
  type: z.string().min(1).optional(),
  data: dataMap.optional(),
  stringData: dataMap.optional(),
  immutable: z.boolean().optional(),
});

export const configMapSchema = z.object({
  data: dataMap.optional(),
  binaryData: dataMap.optional(),
});

/** Keys Kubernetes requires for well-known Secret types. */
export const REQUIRED_SECRET_KEYS: Readonly<Record<string, readonly string[]>> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
};
