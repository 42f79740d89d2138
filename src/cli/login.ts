import { loadConfig } from '../config/load';
import { oauthLogin } from '../mcp/oauth-login';
import { CliError, ExitCode } from './exit-codes';

/** `mcp-agent login <server>`: the browser login of an authorization-code OAuth server (src/mcp/oauth-login.ts). */
export async function loginCommand(server: string, port: number | undefined, print: (text: string) => void): Promise<ExitCode> {
  const config = loadConfig();
  const settings = config.mcp.servers[server];
  if (!settings) {
    const known = Object.keys(config.mcp.servers);
    throw new CliError(ExitCode.Usage, `login: unknown MCP server "${server}"; configured: ${known.length ? known.join(', ') : '(none)'}`);
  }
  if (settings.auth?.oauth.grant !== 'authorization_code') {
    const why = settings.auth ? `uses the ${settings.auth.oauth.grant} grant, for which workers get tokens themselves` : 'has no auth.oauth in the config';
    throw new CliError(ExitCode.Usage, `login: MCP server "${server}" ${why}; login is for auth.oauth.grant: authorization_code`);
  }
  try {
    const result = await oauthLogin({
      server,
      settings,
      ...(port !== undefined && { port }),
      onAuthorizationUrl(url, redirectUri) {
        print(`Open this URL in a browser to authorize mcp-agent for MCP server "${server}":\n\n${url.href}\n\nWaiting for the redirect to ${redirectUri} ...`);
      },
    });
    const lifetime = result.expiresIn !== undefined ? `the access token lasts ${result.expiresIn} s` : 'the access token has no stated lifetime';
    const refresh = result.refreshToken ? 'workers renew it with the refresh token' : 'no refresh token was issued, so log in again when it expires';
    print(`Logged in to "${server}". Tokens stored in ${result.file} (mode 0600); ${lifetime}, ${refresh}.`);
    return ExitCode.Ok;
  } catch (error) {
    throw new CliError(ExitCode.RunUnsuccessful, `login: ${error instanceof Error ? error.message : String(error)}`);
  }
}
