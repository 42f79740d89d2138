import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { bundleWorkflows } from '../../worker/create';

/**
 * The worker bundles `workflows/` with webpack on every start. Webpack's stats report (every module
 * it bundled) is not worker news: it goes to debug. A build that fails still logs webpack's report,
 * which names what broke it, as an error.
 */

interface Line {
  level: number;
  msg: string;
}

function capturingLogger(level: string) {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

const INFO = 30;
const ERROR = 50;

test('a good bundle logs no webpack stats at info or above; they are there at debug', async () => {
  const { logger, lines } = capturingLogger('debug');
  const bundle = await bundleWorkflows(logger);
  expect(bundle.code.length).toBeGreaterThan(0);
  const loud = lines.filter((line) => line.level >= INFO);
  expect(loud).toEqual([]);
  expect(lines.some((line) => /webpack .* compiled successfully/.test(line.msg))).toBe(true);
});

/**
 * A build of this workflows module (and the files beside it), which must fail: what it logs at error
 * level, and the error it throws.
 */
async function failedBuild(source: string, files: Record<string, string> = {}): Promise<{ errors: string; thrown: Error; dir: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'broken-workflows-'));
  const workflows = path.join(dir, 'workflows.js');
  writeFileSync(workflows, source);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const { logger, lines } = capturingLogger('info');
  try {
    const thrown = await bundleWorkflows(logger, workflows).then(
      () => new Error('the build succeeded'),
      (error: Error) => error,
    );
    return { errors: lines.filter((line) => line.level >= ERROR).map((line) => line.msg).join('\n'), thrown, dir };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a failed build logs webpack's report, naming the missing module, as an error", async () => {
  const { errors, thrown } = await failedBuild("export { helper } from './no-such-module';\nexport async function broken() { return 1; }\n");
  expect(errors).toMatch(/no-such-module/);
  expect(thrown.message).toMatch(/Webpack finished with errors/);
});

const SANDBOX_HINT = "Workflow code runs in Temporal's deterministic sandbox and cannot do I/O or use Node modules: move that work into a function";

test('workflow code that imports a Node module fails the build with an error naming it and its file, and saying where that work goes', async () => {
  const { errors, thrown, dir } = await failedBuild("import { readFileSync } from 'node:fs';\nexport async function reads() { return readFileSync('x', 'utf8'); }\n");
  expect(errors).toMatch(/node:fs/);
  expect(errors).toContain(SANDBOX_HINT);
  // What a test of the user's (the testing entry's worker) and `npm run dev` receive.
  expect(thrown.message).toMatch(new RegExp(`^${escape(path.join(dir, 'workflows.js'))} imports the Node module "node:fs"\\. `));
  expect(thrown.message).toContain(SANDBOX_HINT);
});

test('a Node module imported without "node:" by a file the workflows import: the error names that file', async () => {
  const { thrown, dir } = await failedBuild("export { reads } from './helper';\n", {
    'helper.js': "const { readFileSync } = require('fs');\nexports.reads = async () => readFileSync('x', 'utf8');\n",
  });
  expect(thrown.message).toMatch(new RegExp(`^${escape(path.join(dir, 'helper.js'))} imports the Node module "fs"\\. `));
  expect(thrown.message).toContain(SANDBOX_HINT);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
