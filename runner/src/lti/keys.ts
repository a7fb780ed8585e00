/**
 * The tool's own key pair (RS256), made once into DATA_DIR/<RUNNER_ID>.lti-keys.json (mode
 * 0600), published at /lti/jwks. Rotation: `rotate()` makes a new signing key and keeps the
 * previous one in the JWKS (two keys live), so platforms that cached the old one still verify
 * what was signed with it; the next rotation drops it. The file also holds the key that seals
 * stored secrets (seal.ts).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose';
import { z } from 'zod';

const fileSchema = z.object({
  keys: z.array(z.object({ kid: z.string().min(1), createdAt: z.number(), private: z.record(z.string(), z.unknown()) })).min(1).max(2),
  seal: z.string().min(40),
});
type KeyFile = z.infer<typeof fileSchema>;

export function keyFilePath(config: { dataDir: string; runnerId: string }): string {
  return join(config.dataDir, `${config.runnerId}.lti-keys.json`);
}

async function newKey(): Promise<KeyFile['keys'][number]> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const kid = randomBytes(12).toString('base64url');
  return { kid, createdAt: Date.now(), private: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' } };
}

function write(path: string, data: KeyFile): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(data, null, 1), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export class ToolKeys {
  private readonly path: string;
  private data: KeyFile;
  private signer: { kid: string; key: CryptoKey };

  private constructor(path: string, data: KeyFile, signer: { kid: string; key: CryptoKey }) {
    this.path = path;
    this.data = data;
    this.signer = signer;
  }

  /** Reads the key file, or makes it (0600) when there is none. */
  static async load(config: { dataDir: string; runnerId: string }): Promise<ToolKeys> {
    const path = keyFilePath(config);
    let data: KeyFile;
    if (existsSync(path)) {
      data = fileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
      chmodSync(path, 0o600);
    } else {
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      data = { keys: [await newKey()], seal: randomBytes(32).toString('base64url') + randomBytes(8).toString('base64url') };
      write(path, data);
    }
    return new ToolKeys(path, data, await ToolKeys.signerOf(data));
  }

  private static async signerOf(data: KeyFile) {
    const newest = data.keys[data.keys.length - 1]!;
    return { kid: newest.kid, key: (await importJWK(newest.private as JWK, 'RS256')) as CryptoKey };
  }

  /** The newest key signs; its kid goes into every JWT header. */
  get signing(): { kid: string; key: CryptoKey } {
    return this.signer;
  }

  /** 32 bytes for AES-GCM (seal.ts). */
  get sealKey(): Buffer {
    return Buffer.from(this.data.seal, 'base64url').subarray(0, 32);
  }

  /** The public keys (at most two: the signing one and the one before it). */
  jwks(): { keys: JWK[] } {
    return {
      keys: this.data.keys.map((k) => {
        const { kty, n, e } = k.private as { kty: string; n: string; e: string };
        return { kty, n, e, kid: k.kid, alg: 'RS256', use: 'sig' };
      }),
    };
  }

  /** A new signing key; the previous one stays published, the one before it is dropped. */
  async rotate(): Promise<string> {
    const next: KeyFile = { ...this.data, keys: [...this.data.keys.slice(-1), await newKey()] };
    write(this.path, next);
    this.data = next;
    this.signer = await ToolKeys.signerOf(next);
    return this.signer.kid;
  }
}

/** The key file goes with the database (Runner.close, npm run reset). */
export function removeToolKeys(config: { dataDir: string; runnerId: string }): void {
  rmSync(keyFilePath(config), { force: true });
}
