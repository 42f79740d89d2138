import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

/**
 * A headless Chromium for the Web UI test: the one `npm ci` installs (@sparticuz/chromium, a
 * self-contained build unpacked to the temp folder on first use), so the suite needs no browser
 * on the machine; CHROMIUM_PATH names another (Debian's `/usr/bin/chromium`, say).
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const LAMBDA_ONLY = ['--single-process', '--use-gl', '--use-angle', '--in-process-gpu', '--enable-unsafe-swiftshader'];

/** The package is ESM only, which jest cannot load: a node process of its own unpacks it. */
const UNPACK = `
import chromium from '@sparticuz/chromium';
process.stdout.write(JSON.stringify({ path: await chromium.executablePath(), args: chromium.args }));
`;

export async function launchChromium(): Promise<Browser> {
  const named = process.env.CHROMIUM_PATH;
  if (named) return chromium.launch({ executablePath: named, args: ARGS });
  const bundled = JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', UNPACK], { cwd: __dirname, encoding: 'utf8', timeout: 120_000 }),
  ) as { path: string; args: string[] };
  // Of its Lambda flags, --single-process ends the browser with its first closed page, and the GL
  // ones want libraries a plain Linux lacks; --disable-gpu below does without them.
  const args = bundled.args.filter((arg) => !LAMBDA_ONLY.some((flag) => arg.startsWith(flag)));
  return chromium.launch({ executablePath: bundled.path, args: [...new Set([...args, ...ARGS])] });
}
