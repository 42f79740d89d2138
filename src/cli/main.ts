import { readFileSync } from 'node:fs';
import { packageManifest } from '../package-info';
import { ConfigError } from '../config/errors';
import { parseCommandLine, UsageError } from './args';
import { runCliCommand } from './commands';
import { CliError } from './exit-codes';
import { HELP_TEXT } from './help';
import { apiSettings } from './settings';

/**
 * `mcp-agent`, the command line client of the HTTP API (contract section 8). bin/mcp-agent.js
 * calls `main` with the arguments and exits with the code it returns.
 */

const fail = (message: string) => process.stderr.write(`mcp-agent: ${message}\n`);

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const { command, options } = parseCommandLine(argv, (file) => readFileSync(file, 'utf8'));
    if (command.name === 'help') {
      process.stdout.write(HELP_TEXT);
      return 0;
    }
    if (command.name === 'version') {
      process.stdout.write(`${packageManifest().version}\n`);
      return 0;
    }
    return await runCliCommand(command, options, () => apiSettings(options, env));
  } catch (error) {
    if (error instanceof CliError) {
      fail(error.message);
      // Only a wrong command line: a file that is not a history exits 2 as well, and help says nothing of it.
      if (error instanceof UsageError) fail('see "mcp-agent --help"');
      return error.exitCode;
    }
    // `serve` and `dev` load the config; a bad one is reported as the API and worker report it.
    if (error instanceof ConfigError) {
      fail(error.message);
      return 1;
    }
    fail(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return 1;
  }
}
