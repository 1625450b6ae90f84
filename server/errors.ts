/** Base for every error Cordon raises on purpose: a stable `code` that tests, the HTTP error middleware and the CLI switch on. */
export class CordonError<C extends string = string> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
