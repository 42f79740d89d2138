import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertContentKey } from './keys';
import { BlobNotFoundError, type BlobStore } from './store';

/**
 * Blobs as files under one folder (`npm run dev` keeps them in `.temporal/storage`), for a single
 * machine: every worker and the API must see the same folder. A key's kind is its subfolder.
 * A write goes to a temporary file first and is renamed into place, so a reader never sees half a
 * blob. Keys are content hashes, so writing a key that already exists (another process wrote it,
 * or this one before a restart) renames the same bytes over it.
 */
/** Blobs up to this size are written with synchronous calls (see `writeSmall`). */
const SYNC_WRITE_BYTES = 64 * 1024;
/** Empty files made ahead for small writes (see `writeSmall`). */
const SPARE_FILES = 2;
/** Where they wait, beside the kind folders (a rename stays on one file system). */
const SPARES_FOLDER = '.spares';
/** Spares older than this are a stopped process's leftovers (a live one whose spare is gone just makes a file). */
const STALE_SPARE_MS = 60 * 60 * 1000;

export class FileBlobStore implements BlobStore {
  readonly location: string;
  /** Folders known to exist: created by this store, or found there. */
  private readonly folders = new Set<string>();
  private readonly spares: string[] = [];
  private sparesComing = 0;
  private closed = false;
  /** Made (and swept of stale spares) once, on the first small write. */
  private sparesFolder?: Promise<void>;

  constructor(private readonly root: string) {
    this.location = root;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const file = this.fileOf(key);
    const folder = path.dirname(file);
    if (!this.folders.has(folder)) {
      await mkdir(folder, { recursive: true });
      this.folders.add(folder);
    }
    try {
      await this.write(file, data);
    } catch (error) {
      // The folder went away (someone cleared the store): make it again, once.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.folders.delete(folder);
      await mkdir(folder, { recursive: true });
      this.folders.add(folder);
      await this.write(file, data);
    }
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return await readFile(this.fileOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(key, this.location);
      throw error;
    }
  }

  /** Removes the spare files this store made; the store still works after, making none. */
  close(): void {
    this.closed = true;
    for (const spare of this.spares.splice(0)) removeQuietly(spare);
  }

  private async write(file: string, data: Uint8Array): Promise<void> {
    if (data.byteLength <= SYNC_WRITE_BYTES) return this.writeSmall(file, data);
    const temporary = this.temporaryName(path.dirname(file));
    await writeFile(temporary, data);
    await rename(temporary, file);
  }

  /**
   * A small blob (a conversation entry, a tool list) is on a model turn's path, so it is written
   * with synchronous calls (microseconds into the page cache, where asynchronous ones each wait a
   * round trip through libuv's thread pool) into a spare file made ahead: creating a file is
   * the slow part of a write (0.5-1 ms of kernel time on a VM's disk, against 20-50 µs to write
   * an existing one and rename it), so it happens off the turn's path, on the thread pool.
   */
  private writeSmall(file: string, data: Uint8Array): void {
    try {
      if (this.intoSpare(file, data)) return;
      const temporary = this.temporaryName(path.dirname(file));
      writeFileSync(temporary, data);
      renameSync(temporary, file);
    } finally {
      // Only now: a spare made while this write renames would contend with it for the folders.
      this.makeSpares();
    }
  }

  private intoSpare(file: string, data: Uint8Array): boolean {
    const spare = this.spares.pop();
    if (spare === undefined) return false;
    try {
      // 'r+' creates nothing: a spare someone removed is an ENOENT, and the caller makes a file instead.
      writeFileSync(spare, data, { flag: 'r+' });
      renameSync(spare, file);
      return true;
    } catch {
      // Gone (swept, the store cleared), on another file system than the kind folder, stale on
      // NFS...: whatever it was, a file of the write's own always does.
      removeQuietly(spare);
      return false;
    }
  }

  private makeSpares(): void {
    const folder = path.join(this.root, SPARES_FOLDER);
    if (!this.sparesFolder) {
      this.sparesFolder = mkdir(folder, { recursive: true }).then(() => sweepStale(folder));
      // No folder, no spares: each write makes its own file.
      this.sparesFolder.catch(() => undefined);
    }
    for (; !this.closed && this.spares.length + this.sparesComing < SPARE_FILES; this.sparesComing++) {
      const spare = this.temporaryName(folder);
      void this.sparesFolder
        .then(() => writeFile(spare, new Uint8Array(0), { flag: 'wx' }))
        .then(
          () => (this.closed ? removeQuietly(spare) : this.spares.push(spare)),
          (error: NodeJS.ErrnoException) => {
            // The folder went away (the store cleared): made again next time. Any other failure (a
            // read-only folder, say): no spare this time, and writes make their own files.
            if (error.code === 'ENOENT') this.sparesFolder = undefined;
          },
        )
        .finally(() => this.sparesComing--);
    }
  }

  private temporaryName(folder: string): string {
    return path.join(folder, `${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  }

  private fileOf(key: string): string {
    assertContentKey(key);
    return path.join(this.root, key);
  }
}

function removeQuietly(spare: string): void {
  try {
    rmSync(spare, { force: true });
  } catch {
    // An empty file left behind: the next sweep takes it.
  }
}

/** Removes spares that a process which stopped without closing its store (a crash, a SIGKILL) left. */
async function sweepStale(folder: string): Promise<void> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const before = Date.now() - STALE_SPARE_MS;
  for (const name of names) {
    const spare = path.join(folder, name);
    const stats = await stat(spare).catch(() => undefined);
    if (stats && stats.mtimeMs < before) await rm(spare, { force: true });
  }
}
