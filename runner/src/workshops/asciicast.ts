/**
 * One terminal as an asciicast v2 file (https://docs.asciinema.org/manual/asciicast/v2/): a
 * header line, then `[seconds, code, data]` lines: "o" output, "i" input (only when asked
 * for), "r" resize ("COLSxROWS"), "m" marker. Timestamps never go back. Text is decoded as a
 * stream (a character split across chunks stays whole). Every `secrets` string is replaced
 * before it is written; a tail that could be the start of a secret is held back until the
 * next chunk, so that a secret split across chunks is caught too. The file stops growing when the shared budget is spent
 * (a last "m" marker says so). Lines are buffered and written every `flushMs`.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** Bytes a session's recordings may still take (shared by its terminals). */
export interface Budget {
  left: number;
}

export const REDACTED = '[redacted]';
export const TRUNCATED_MARKER = 'recording truncated (size limit)';

class Stream {
  private readonly decoder = new StringDecoder('utf8');
  private held = '';
  private readonly secrets: string[];
  private holdLen: number;
  constructor(secrets: string[]) {
    this.secrets = secrets;
    this.holdLen = Math.max(0, ...secrets.map((s) => s.length)) - 1;
  }
  addSecret(s: string): void {
    if (s.length < 4 || this.secrets.includes(s)) return;
    this.secrets.push(s);
    this.holdLen = Math.max(this.holdLen, s.length - 1);
  }
  /** The text that may be written now (redacted), holding back only a tail that could start a secret. */
  push(chunk: Buffer, end = false): string {
    let text = this.held + (end ? this.decoder.end(chunk) : this.decoder.write(chunk));
    for (const s of this.secrets) if (text.includes(s)) text = text.split(s).join(REDACTED);
    this.held = '';
    if (end || this.holdLen <= 0) return text;
    let keep = 0;
    for (let n = Math.min(this.holdLen, text.length); n > 0 && keep === 0; n--) {
      const tail = text.slice(-n);
      if (this.secrets.some((s) => s.startsWith(tail))) keep = n;
    }
    let cut = text.length - keep;
    // Never split a surrogate pair.
    if (cut > 0 && cut < text.length && /[\udc00-\udfff]/.test(text[cut]!)) cut--;
    this.held = text.slice(cut);
    return text.slice(0, cut);
  }
}

export class AsciicastWriter {
  private fd: number | null;
  private readonly started: number;
  private last = 0;
  private lines: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private full = false;
  private readonly out: Stream;
  private readonly inp: Stream;
  private readonly budget: Budget;
  private readonly recordInput: boolean;
  private readonly now: () => number;
  private readonly flushMs: number;

  constructor(opts: {
    path: string;
    width: number;
    height: number;
    budget: Budget;
    secrets?: string[];
    recordInput?: boolean;
    title?: string;
    /** Milliseconds, monotonic (performance.now by default). */
    now?: () => number;
    flushMs?: number;
  }) {
    const secrets = (opts.secrets ?? []).filter((s) => s.length >= 4);
    this.out = new Stream(secrets);
    this.inp = new Stream(secrets);
    this.budget = opts.budget;
    this.recordInput = opts.recordInput ?? false;
    this.now = opts.now ?? (() => performance.now());
    this.flushMs = opts.flushMs ?? 250;
    this.started = this.now();
    this.fd = openSync(opts.path, 'wx', 0o600);
    const header = {
      version: 2,
      width: opts.width,
      height: opts.height,
      timestamp: Math.floor(Date.now() / 1000),
      env: { TERM: 'xterm-256color', SHELL: '/bin/bash' },
      ...(opts.title ? { title: opts.title } : {}),
    };
    this.line(JSON.stringify(header), true);
  }

  output(chunk: Buffer): void {
    this.event('o', this.out.push(chunk));
  }

  input(chunk: Buffer): void {
    if (this.recordInput) this.event('i', this.inp.push(chunk));
  }

  /** One more string never to write (the key of an instructor who takes over this terminal). */
  addSecret(secret: string): void {
    this.out.addSecret(secret);
    this.inp.addSecret(secret);
  }

  resize(cols: number, rows: number): void {
    this.event('r', `${cols}x${rows}`);
  }

  marker(label: string): void {
    this.event('m', label);
  }

  get closed(): boolean {
    return this.fd === null;
  }

  close(): void {
    if (this.fd === null) return;
    this.event('o', this.out.push(Buffer.alloc(0), true));
    if (this.recordInput) this.event('i', this.inp.push(Buffer.alloc(0), true));
    this.flush();
    closeSync(this.fd);
    this.fd = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private event(code: string, data: string): void {
    if (this.fd === null || this.full || data === '') return;
    const t = Math.max(this.last, (this.now() - this.started) / 1000);
    this.last = t;
    this.line(JSON.stringify([Number(t.toFixed(6)), code, data]));
  }

  private line(text: string, header = false): void {
    const bytes = Buffer.byteLength(text) + 1;
    if (!header && bytes > this.budget.left) {
      this.full = true;
      this.lines.push(JSON.stringify([Number(this.last.toFixed(6)), 'm', TRUNCATED_MARKER]));
      this.flush();
      return;
    }
    this.budget.left -= bytes;
    this.lines.push(text);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.fd === null || this.lines.length === 0) return;
    writeSync(this.fd, `${this.lines.join('\n')}\n`);
    this.lines = [];
  }
}
