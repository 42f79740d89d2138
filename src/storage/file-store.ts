import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertContentKey } from './keys';
import { BlobNotFoundError, type BlobStore } from './store';

/**
 * Blobs as files under one folder (`npm run dev` keeps them in `.temporal/storage`), for a single
 * machine: every worker and the API must see the same folder. A key's kind is its subfolder.
 * A write goes to a temporary file first and is renamed into place, so a reader never sees half a
 * blob. Keys are content hashes, so writing a key that already exists (another process wrote it,
 * or this one before a restart) renames the same bytes over it: two file operations a put, where
 * checking first and creating the folder each time took four (a put is on every model turn's path).
 */
/** Blobs up to this size are written with synchronous calls (see `write`). */
const SYNC_WRITE_BYTES = 64 * 1024;

export class FileBlobStore implements BlobStore {
  readonly location: string;
  /** Folders known to exist: created by this store, or found there. */
  private readonly folders = new Set<string>();

  constructor(private readonly root: string) {
    this.location = root;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const file = this.fileOf(key);
    const folder = path.dirname(file);
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    if (!this.folders.has(folder)) {
      await mkdir(folder, { recursive: true });
      this.folders.add(folder);
    }
    try {
      await this.write(temporary, file, data);
    } catch (error) {
      // The folder went away (someone cleared the store): make it again, once.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.folders.delete(folder);
      await mkdir(folder, { recursive: true });
      this.folders.add(folder);
      await this.write(temporary, file, data);
    }
  }

  /**
   * A small blob (a conversation entry, a tool list) is written synchronously: two system calls of
   * microseconds into the page cache, where the asynchronous calls each wait a round trip through
   * libuv's thread pool, and a model turn waits for its entry's write.
   */
  private async write(temporary: string, file: string, data: Uint8Array): Promise<void> {
    if (data.byteLength <= SYNC_WRITE_BYTES) {
      writeFileSync(temporary, data);
      renameSync(temporary, file);
      return;
    }
    await writeFile(temporary, data);
    await rename(temporary, file);
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return await readFile(this.fileOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(key, this.location);
      throw error;
    }
  }

  private fileOf(key: string): string {
    assertContentKey(key);
    return path.join(this.root, key);
  }
}
