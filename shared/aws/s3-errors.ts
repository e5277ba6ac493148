// How S3 (and emulators speaking its API) report the outcomes adapters treat as answers, not
// failures: a missing object, and a lost conditional write.

interface ServiceErrorLike {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

function statusOf(err: unknown): number | undefined {
  return (err as ServiceErrorLike | null)?.$metadata?.httpStatusCode;
}

export function isNotFound(err: unknown): boolean {
  const name = (err as ServiceErrorLike | null)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(err) === 404;
}

/**
 * 412 Precondition Failed: If-None-Match found an object, or If-Match found another ETag.
 * 409 ConditionalRequestConflict: a concurrent conditional write to the same key won.
 */
export function isConditionalWriteLost(err: unknown): boolean {
  const status = statusOf(err);
  const name = (err as ServiceErrorLike | null)?.name;
  return (
    status === 412 || status === 409 || name === 'PreconditionFailed' || name === 'ConditionalRequestConflict'
  );
}
