import { createInterface } from 'node:readline';
import { Direct } from './direct';

/**
 * The direct calls (bench/direct.ts) in a process of their own, so that bench/throughput.ts can
 * read their CPU time: OPENAI_BASE_URL and FIXTURE_URL say where; each line on stdin,
 * `{"models": [...], "turns": n}`, runs those conversations at once and answers `done`.
 */
async function main(): Promise<void> {
  const direct = new Direct(process.env.OPENAI_BASE_URL!, process.env.FIXTURE_URL!);
  await direct.connect();
  console.log('worker polling');
  for await (const line of createInterface({ input: process.stdin })) {
    const { models, turns } = JSON.parse(line) as { models: string[]; turns: number };
    await Promise.all(models.map((model) => direct.run(model, turns)));
    console.log('done');
  }
  await direct.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
