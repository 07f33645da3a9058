/**
 * The errors a request can fail with by the caller's fault, one type for every layer and
 * transport: the spec validator and the simulator (core), the payload checks (app), the CLI's
 * spec files. Transports map them by class (app/transport-error.ts): a ValidationError is a 400
 * naming its field, a NotFoundError a 404; anything else is the app's fault. They live in the
 * contract, the leaf every side imports, so the CLI's entry point can recognise them without
 * loading the engine.
 */

/** The caller sent something invalid; `field` says where, e.g. `spec.methods[0].params.lr`. */
export class ValidationError extends Error {
  /**
   * @param field path of the offending field (`''` for the whole value)
   * @param reason what is wrong, e.g. `must be in (0, 10], got 0`
   * @param file the file it came from, e.g. `experiments/x.json` or `x.json:3:15`
   */
  constructor(
    readonly field: string,
    readonly reason: string,
    readonly file?: string,
  ) {
    super([file, field, reason].filter(Boolean).join(': '));
    this.name = 'ValidationError';
  }

  /** The same error for a value found at `prefix` of a larger one (e.g. `spec`, `methods[2]`). */
  under(prefix: string): ValidationError {
    if (!prefix) return this;
    const field = !this.field
      ? prefix
      : this.field.startsWith('[')
        ? prefix + this.field
        : `${prefix}.${this.field}`;
    return new ValidationError(field, this.reason, this.file);
  }

  /** The same error, said of a file. */
  inFile(file: string): ValidationError {
    return new ValidationError(this.field, this.reason, file);
  }
}

/** A record the request names does not exist. */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}
