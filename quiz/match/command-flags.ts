/**
 * Flags and positionals of a command's words, in a canonical form: long flag names, sorted,
 * `--flag=value`. FlagSpec says, per program, which short flags alias which long ones and which take a value.
 */
import { normalizeImageRef } from './image-ref.ts';

export interface FlagSpec {
  aliases: Record<string, string>;
  shortValue: Set<string>;
  longValue: Set<string>;
  imageFlags?: Set<string>;
  /** Flags that do not change what the command does (curl --silent): dropped. */
  ignore?: Set<string>;
  stopAfterFirstPositional?: boolean;
}

/** Flags (long form, sorted, `--flag=value`) and positionals (in order) of a command's words. */
export function parseWords(rest: string[], spec: FlagSpec): { flags: string[]; positionals: string[] } {
  const flags: string[] = [];
  const positionals: string[] = [];
  const addFlag = (name: string, value: string | undefined) => {
    const long = name.startsWith('--') ? name : (spec.aliases[name] ?? name);
    if (spec.ignore?.has(long)) return;
    let v = value;
    if (v !== undefined && spec.imageFlags?.has(long)) v = normalizeImageRef(v);
    flags.push(v === undefined ? long : `${long}=${v}`);
  };
  const shortValue = spec.shortValue;
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (w === '--') {
      positionals.push(...rest.slice(i + 1));
      break;
    }
    if (w.startsWith('--') && w.length > 2) {
      const eq = w.indexOf('=');
      if (eq > 0) addFlag(w.slice(0, eq), w.slice(eq + 1));
      else if (spec.longValue.has(w) && i + 1 < rest.length) addFlag(w, rest[++i]);
      else addFlag(w, undefined);
      continue;
    }
    if (w.startsWith('-') && w.length > 1 && !/^-\d/.test(w)) {
      const letters = w.slice(1);
      if (letters.length === 1) {
        if (shortValue.has(w) && i + 1 < rest.length) addFlag(w, rest[++i]);
        else addFlag(w, undefined);
      } else if (shortValue.has(`-${letters[0]}`)) {
        addFlag(`-${letters[0]}`, letters.slice(1)); // -p8080:80
      } else {
        // Combined booleans: -it = -i -t; a value flag may close the group (-it is fine, -dp 80:80 too).
        for (let k = 0; k < letters.length; k++) {
          const f = `-${letters[k]}`;
          if (k === letters.length - 1 && shortValue.has(f) && i + 1 < rest.length) addFlag(f, rest[++i]);
          else addFlag(f, undefined);
        }
      }
      continue;
    }
    positionals.push(w);
    if (spec.stopAfterFirstPositional) {
      positionals.push(...rest.slice(i + 1));
      break;
    }
  }
  flags.sort();
  return { flags, positionals };
}

