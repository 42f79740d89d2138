import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertContentKey } from './keys';
import { BlobNotFoundError, type BlobStore } from './store';

/**
 * Blobs as files under one folder (`npm run dev` keeps them in `.temporal/storage`), for a single
 * machine: every worker and the API must see the same folder. A key's kind is its subfolder.
 * A write goes to a temporary file first and is renamed into place, so a reader never sees half a
 * blob, and a key that already exists is not written again.
 */
export class FileBlobStore implements BlobStore {
  readonly location: string;

  constructor(private readonly root: string) {
    this.location = root;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const file = this.fileOf(key);
    if (await exists(file)) return;
    await mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
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

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
