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

/** What a build of this workflows module logs at error level; the build must fail. */
async function failedBuildErrors(source: string): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'broken-workflows-'));
  const workflows = path.join(dir, 'workflows.js');
  writeFileSync(workflows, source);
  const { logger, lines } = capturingLogger('info');
  try {
    await expect(bundleWorkflows(logger, workflows)).rejects.toThrow(/Webpack finished with errors/);
    return lines.filter((line) => line.level >= ERROR).map((line) => line.msg).join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a failed build logs webpack's report, naming the missing module, as an error", async () => {
  const errors = await failedBuildErrors("export { helper } from './no-such-module';\nexport async function broken() { return 1; }\n");
  expect(errors).toMatch(/no-such-module/);
});

test('workflow code that imports a Node module is told why it cannot and where that work goes', async () => {
  const errors = await failedBuildErrors("import { readFileSync } from 'node:fs';\nexport async function reads() { return readFileSync('x', 'utf8'); }\n");
  expect(errors).toMatch(/node:fs/);
  expect(errors).toContain('cannot do I/O or use Node modules: move that work into a function');
});
