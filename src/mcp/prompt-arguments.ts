/**
 * A prompt's arguments checked against the list the server gives (prompts/list), before
 * prompts/get. Servers do not check them themselves: server-everything fills its template with
 * whatever it is sent and ignores a key it does not know, so a misspelt argument silently dropped
 * out of the prompt. The API route, the CLI through it, and an agent spec's `prompt` (its
 * activity) all use this, so each says the same thing.
 */

export interface DeclaredPromptArgument {
  name: string;
  required?: boolean;
}

export interface PromptArgumentProblems {
  /** Declared as required and not given. */
  missing: string[];
  /** Given and not declared. */
  unknown: string[];
}

/** Arguments a prompt declares as required and the request left out. */
export function missingPromptArguments(declared: readonly DeclaredPromptArgument[] | undefined, given: Record<string, string>): string[] {
  return (declared ?? []).filter((argument) => argument.required && !Object.hasOwn(given, argument.name)).map((argument) => argument.name);
}

export function promptArgumentProblems(declared: readonly DeclaredPromptArgument[] | undefined, given: Record<string, string>): PromptArgumentProblems {
  const names = new Set((declared ?? []).map((argument) => argument.name));
  return { missing: missingPromptArguments(declared, given), unknown: Object.keys(given).filter((name) => !names.has(name)) };
}

export function hasPromptArgumentProblems(problems: PromptArgumentProblems): boolean {
  return problems.missing.length > 0 || problems.unknown.length > 0;
}

const plural = (names: readonly string[]) => (names.length > 1 ? 's' : '');

/** `its arguments are city (required) and state`, or that it has none: what a caller needs to write the request again. */
export function describePromptArguments(declared: readonly DeclaredPromptArgument[] | undefined): string {
  if (!declared || declared.length === 0) return 'it has none';
  const names = declared.map((argument) => (argument.required ? `${argument.name} (required)` : argument.name));
  const listed = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0];
  return `its argument${plural(names)} ${names.length > 1 ? 'are' : 'is'} ${listed}`;
}

/**
 * One sentence for every problem: `Prompt "review" of MCP server "fixture" needs the argument
 * topic.`; for an argument it does not have, which ones it has.
 */
export function promptArgumentsMessage(
  server: string,
  prompt: string,
  declared: readonly DeclaredPromptArgument[] | undefined,
  { missing, unknown }: PromptArgumentProblems,
): string {
  const parts = [
    ...(missing.length > 0 ? [`needs the argument${plural(missing)} ${missing.join(', ')}`] : []),
    ...(unknown.length > 0 ? [`has no argument${plural(unknown)} ${unknown.join(', ')}`] : []),
  ];
  const has = unknown.length > 0 ? `: ${describePromptArguments(declared)}` : '';
  return `Prompt "${prompt}" of MCP server "${server}" ${parts.join(' and ')}${has}.`;
}
