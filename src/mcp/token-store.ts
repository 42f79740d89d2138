import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

/**
 * The tokens `mcp-agent login <server>` obtained for one OAuth server (authorization code grant),
 * in one JSON file of mode 0600 that workers read and write renewed tokens back to. Tokens never
 * enter workflow history: only the worker's MCP client reads this file.
 *
 * Several processes may share the file (workers on one machine, or a shared volume): a renewal
 * happens under a lock file beside it, and is skipped when another process has already renewed,
 * because an authorization server that rotates refresh tokens accepts each one only once.
 */

const clientSchema = z.looseObject({ client_id: z.string().min(1), client_secret: z.string().optional() });
const tokensSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.number().optional(),
  refresh_token: z.string().optional(),
  scope: z.string().optional(),
});

const storedLoginSchema = z.object({
  version: z.literal(1),
  server: z.string(),
  /** The MCP server URL the tokens were issued for. */
  resource: z.string(),
  redirect_uri: z.string(),
  client: clientSchema,
  tokens: tokensSchema,
  /** Epoch milliseconds when the token request was sent: `expires_in` counts from about then. */
  obtained_at: z.number(),
  updated_at: z.string(),
});

export type StoredLogin = z.output<typeof storedLoginSchema>;

/** A token file that exists but cannot be used: a new login writes a good one. */
export class TokenFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`token file ${file} ${problem}`);
    this.name = 'TokenFileError';
  }
}

const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 30_000;
const LOCK_POLL_MS = 25;

export class TokenStore {
  constructor(readonly file: string) {}

  /** The stored login, or undefined when there is no file. */
  async read(): Promise<StoredLogin | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new TokenFileError(this.file, `cannot be read: ${(error as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new TokenFileError(this.file, 'is not JSON');
    }
    const parsed = storedLoginSchema.safeParse(json);
    // The issues name keys, never values: the file holds secrets.
    if (!parsed.success) {
      const keys = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(top level)'))].join(', ');
      throw new TokenFileError(this.file, `is not a token file of mcp-agent (wrong or missing: ${keys})`);
    }
    return parsed.data;
  }

  /** Whether group or others may read the file (it should be 0600). */
  async readableByOthers(): Promise<boolean> {
    try {
      return ((await stat(this.file)).mode & 0o077) !== 0;
    } catch {
      return false;
    }
  }

  /** Replaces the file atomically (a reader sees the old or the new file, never half of one), mode 0600. */
  async write(login: StoredLogin): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      await chmod(temporary, 0o600);
      await rename(temporary, this.file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /**
   * Runs `critical` holding `<file>.lock`, which one process at a time can create. A lock older
   * than 30 s is taken to be left by a process that died and is removed.
   */
  async withLock<T>(critical: () => Promise<T>): Promise<T> {
    const lock = `${this.file}.lock`;
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const handle = await open(lock, 'wx', 0o600);
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age = await stat(lock).then(
          (info) => Date.now() - info.mtimeMs,
          () => 0,
        );
        if (age > LOCK_STALE_MS) await rm(lock, { force: true });
        else if (Date.now() > deadline) throw new TokenFileError(this.file, `stays locked by ${lock}; remove it if no process is renewing tokens`);
        else await sleep(LOCK_POLL_MS);
      }
    }
    try {
      return await critical();
    } finally {
      await rm(lock, { force: true });
    }
  }
}
