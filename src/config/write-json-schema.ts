import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { configSchema } from './schema';

/** Where `npm run schema` writes the JSON Schema of the config file, for editors and reviewers. */
export const CONFIG_JSON_SCHEMA_PATH = path.resolve(__dirname, '..', '..', 'mcp_agent.config.schema.json');

/** Input mode: what may be written in the file, so fields with defaults are optional. */
export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(CONFIG_JSON_SCHEMA_PATH, renderConfigJsonSchema());
  console.log(`wrote ${path.relative(process.cwd(), CONFIG_JSON_SCHEMA_PATH)}`);
}
