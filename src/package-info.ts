import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * This package's own folder and manifest, found from this file in a checkout (`src/`) and in the
 * installed package's compiled tree (`dist/src/`) alike.
 */

const up = path.resolve(__dirname, '..');
export const packageRoot = existsSync(path.join(up, 'package.json')) ? up : path.resolve(up, '..');

export interface PackageManifest {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

export function packageManifest(): PackageManifest {
  return JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as PackageManifest;
}
