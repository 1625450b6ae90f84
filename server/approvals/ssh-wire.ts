/** The SSH wire encoding (RFC 4251 §5): uint32 and length-prefixed strings, read and written. */
import { ApprovalError, type ApprovalErrorCode } from './errors';

/** Reads a buffer front to back; every read past the end throws `code`. */
export class WireReader {
  private at = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly code: ApprovalErrorCode,
    private readonly what: string,
  ) {}

  private need(n: number): void {
    if (this.buf.length - this.at < n) throw new ApprovalError(this.code, `${this.what} is truncated.`);
  }

  bytes(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  uint8(): number {
    return this.bytes(1)[0]!;
  }

  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }

  string(): Buffer {
    return this.bytes(this.uint32());
  }

  text(): string {
    return this.string().toString('utf8');
  }

  /** Bytes not read yet. */
  rest(): Buffer {
    return this.bytes(this.buf.length - this.at);
  }

  get done(): boolean {
    return this.at === this.buf.length;
  }

  /** Throws unless everything was read: trailing bytes in a signature or key are a sign of tampering. */
  end(): void {
    if (!this.done) throw new ApprovalError(this.code, `${this.what} has unexpected trailing bytes.`);
  }
}

export function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** A length-prefixed SSH string. */
export function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([uint32(bytes.length), bytes]);
}

/** PEM-style armour with the base64 wrapped at 70 columns, as OpenSSH writes it. */
export function armor(label: string, body: Buffer): string {
  const b64 = body.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The bytes inside `-----BEGIN label----- … -----END label-----`; throws `code` when absent or not base64. */
export function dearmor(label: string, text: string, code: ApprovalErrorCode, what: string): Buffer {
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  const start = text.indexOf(begin);
  const stop = text.indexOf(end, start + begin.length);
  if (start < 0 || stop < 0) throw new ApprovalError(code, `${what} is not in the "${begin}" format.`);
  const b64 = text.slice(start + begin.length, stop).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new ApprovalError(code, `${what} is not valid base64.`);
  return Buffer.from(b64, 'base64');
}
