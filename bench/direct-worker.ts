import { createInterface } from 'node:readline';
import { Direct } from './direct';

/**
 * The direct calls (bench/direct.ts) in a process of their own, as a worker's calls are made, so
 * that npm run bench times them in the same conditions and bench/throughput.ts can read their CPU
 * time: OPENAI_BASE_URL and FIXTURE_URL say where; each line on stdin,
 * `{"models": [...], "turns": n, "pauseMs": ms}`, runs those conversations at once and answers with a line
 * `{"turnsMs": [[...], ...]}`: each conversation's turn times. It prints "worker polling" when ready.
 */
async function main(): Promise<void> {
  const direct = new Direct(process.env.OPENAI_BASE_URL!, process.env.FIXTURE_URL!);
  await direct.connect();
  console.log('worker polling');
  for await (const line of createInterface({ input: process.stdin })) {
    const { models, turns, pauseMs } = JSON.parse(line) as { models: string[]; turns: number; pauseMs: number };
    const turnsMs = await Promise.all(models.map((model) => direct.run(model, turns, pauseMs)));
    console.log(JSON.stringify({ turnsMs }));
  }
  await direct.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
