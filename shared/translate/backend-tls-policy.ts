// BackendTLSPolicy → IR: the backends it targets and how their certificates are validated (SNI
// hostname, CA bundles or the system trust store, subject alternative names).

import type { BackendTLSPolicyIR, SecretRef } from '../ir/types.ts';
import { Reason } from '../ir/types.ts';
import { backendTLSPolicySpec, GATEWAY_API_GROUP, GATEWAY_API_VERSIONS } from '../resources/gateway-api.ts';
import { type FieldError, makeIrItem, type ResourceTranslator, resourceId, validateSpec } from './common.ts';

export const translateBackendTLSPolicy: ResourceTranslator<'BackendTLSPolicy'> = (obj, ctx) => {
  const parsed = validateSpec(
    obj,
    { group: GATEWAY_API_GROUP, versions: GATEWAY_API_VERSIONS.BackendTLSPolicy },
    backendTLSPolicySpec,
  );
  if (!parsed.valid) return makeIrItem('BackendTLSPolicy', obj, ctx, parsed);

  const { namespace } = resourceId(obj, ctx);
  const spec = parsed.result;
  const errors: FieldError[] = [];

  // Gateway API: references to the same target must all name a sectionName, each a different one.
  const byTarget = new Map<string, number[]>();
  spec.targetRefs.forEach((t, i) => {
    const key = `${t.group}/${t.kind}/${t.name}`;
    byTarget.set(key, [...(byTarget.get(key) ?? []), i]);
  });
  for (const indexes of byTarget.values()) {
    if (indexes.length < 2) continue;
    const seen = new Map<string, number>();
    for (const i of indexes) {
      const section = spec.targetRefs[i]?.sectionName;
      const first = indexes[0] ?? i;
      if (section === undefined) {
        errors.push({
          field: `spec.targetRefs[${i}].sectionName`,
          message: `is required because spec.targetRefs[${first}] refers to the same target`,
        });
        continue;
      }
      const dup = seen.get(section);
      if (dup !== undefined)
        errors.push({
          field: `spec.targetRefs[${i}].sectionName`,
          message: `${JSON.stringify(section)} is already targeted by spec.targetRefs[${dup}]`,
        });
      else seen.set(section, i);
    }
  }

  const validation = spec.validation;
  const caCertificateRefs: SecretRef[] = [];
  (validation.caCertificateRefs ?? []).forEach((ref, i) => {
    if (ref.group === '' && (ref.kind === 'ConfigMap' || ref.kind === 'Secret'))
      caCertificateRefs.push({ kind: ref.kind, namespace, name: ref.name });
    else
      errors.push({
        field: `spec.validation.caCertificateRefs[${i}]`,
        message: `${ref.group === '' ? 'core' : ref.group} ${ref.kind} is not supported; CA bundles must be in a core ConfigMap (or Secret) under key ca.crt`,
        reason: Reason.InvalidKind,
      });
  });
  const system = validation.wellKnownCACertificates === 'System';
  const hasRefs = (validation.caCertificateRefs ?? []).length > 0;
  if (hasRefs && system)
    errors.push({
      field: 'spec.validation',
      message: 'set either caCertificateRefs or wellKnownCACertificates, not both',
    });
  if (!hasRefs && !system)
    errors.push({
      field: 'spec.validation',
      message: 'one of caCertificateRefs or wellKnownCACertificates (System) is required',
    });
  if (errors.length > 0) return makeIrItem('BackendTLSPolicy', obj, ctx, { valid: false, errors });

  const subjectAltNames = (validation.subjectAltNames ?? []).map((san) =>
    san.type === 'Hostname' ? (san.hostname ?? '') : (san.uri ?? ''),
  );
  const result: BackendTLSPolicyIR = {
    targetRefs: spec.targetRefs
      .map((t) => {
        const ref: BackendTLSPolicyIR['targetRefs'][number] = { group: t.group, kind: t.kind, name: t.name };
        if (t.sectionName !== undefined) ref.sectionName = t.sectionName;
        return ref;
      })
      .sort((a, b) => compare(refKey(a), refKey(b))),
    validation: {
      hostname: validation.hostname,
      caCertificateRefs: caCertificateRefs.sort((a, b) => compare(refKey(a), refKey(b))),
      subjectAltNames: [...new Set(subjectAltNames)].sort(),
    },
  };
  if (system) result.validation.wellKnownCACertificates = 'System';
  return makeIrItem('BackendTLSPolicy', obj, ctx, { valid: true, result });
};

function refKey(ref: { kind: string; name: string; group?: string; sectionName?: string }): string {
  return `${ref.group ?? ''}/${ref.kind}/${ref.name}#${ref.sectionName ?? ''}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
