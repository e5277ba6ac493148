// The project's error hierarchy: one base class, names ending in `Error`, `cause` kept.
// Bad input that belongs to a resource becomes a status condition, not an error; these are
// for input that cannot be read at all, and for bugs.

export class FleetplaneError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input that cannot be read at all: a missing file, malformed YAML, a document that is not an object. */
export class InputError extends FleetplaneError {
  constructor(
    message: string,
    /** Where the input came from: a file path and, for multi-document files, the document index. */
    readonly source: string,
    options?: ErrorOptions,
  ) {
    super(`${source}: ${message}`, options);
  }
}

/** A protobuf encode or decode that failed; names the type URL. */
export class CodecError extends FleetplaneError {}
