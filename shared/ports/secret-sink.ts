// Port: where referenced Secret data goes instead of the bus (AWS Secrets Manager, under the name
// `secretName(clusterId, namespace, name)` from shared/pipeline/definition.ts).

export interface SecretLocator {
  clusterId: string;
  namespace: string;
  name: string;
}

export interface SecretVersion {
  secretName: string;
  versionId: string;
}

export interface SecretSink {
  /**
   * Stores the Secret's `data` (key → base64 value, as in Kubernetes) and returns the version that
   * holds it. Writing the value already current creates no new version.
   */
  putSecret(secret: SecretLocator, data: Record<string, string>): Promise<SecretVersion>;
  /** Schedules the stored Secret for deletion; a Secret that was never stored is not an error. */
  deleteSecret(secret: SecretLocator): Promise<void>;
}
