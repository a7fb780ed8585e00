/**
 * Join codes: 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown as
 * ABC-DEF, typed in any case with any spaces or dashes.
 */
import { randomInt } from 'node:crypto';

export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const CODE_LENGTH = 6;

export function newCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** "abc-def", " ABC DEF " -> "ABCDEF"; null when it cannot be a code. */
export function normalizeCode(input: string): string | null {
  const code = input.replace(/[\s\-_–—.]/g, '').toUpperCase();
  if (code.length !== CODE_LENGTH) return null;
  for (const ch of code) if (!CODE_ALPHABET.includes(ch)) return null;
  return code;
}

/** "ABCDEF" -> "ABC-DEF". */
export function formatCode(code: string): string {
  return `${code.slice(0, 3)}-${code.slice(3)}`;
}
