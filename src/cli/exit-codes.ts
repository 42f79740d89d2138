/**
 * What `mcp-agent` exits with, so scripts can tell outcomes apart without reading its output.
 * The numbers are public (shown by `--help` and in the README): never renumber them.
 */

export const ExitCode = {
  /** Done; for `run --wait` and `watch`, the run completed. */
  Ok: 0,
  /** The run failed, was cancelled or terminated, or timed out. */
  RunUnsuccessful: 1,
  /** The command line is wrong. */
  Usage: 2,
  /** The API answered with an error (the run or workflow does not exist, a conflict, bad input, Temporal down...). */
  ApiError: 3,
  /** The API cannot be reached at all. */
  Unreachable: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI reports as one line on stderr and an exit code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
