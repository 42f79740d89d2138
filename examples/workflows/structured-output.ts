import { z } from 'zod';
import { workflow, type RunContext } from 'mcp-agent-temporal/workflow';

/**
 * mcp-agent's structured-output example: an agent's answer as typed data instead of text. The
 * model is asked in its provider's native structured output (OpenAI's JSON schema, Anthropic's
 * forced tool call) for a value matching the zod schema; an answer that does not match is sent
 * back once to be repaired, then validated. The value is typed, so code can compute with it.
 */

const invoiceSchema = z.object({
  seller: z.string(),
  date: z.string().describe('As written on the invoice'),
  currency: z.string().describe('ISO 4217 code, e.g. EUR'),
  lines: z.array(
    z.object({
      description: z.string(),
      quantity: z.number().positive(),
      unitPrice: z.number().nonnegative(),
    }),
  ),
  statedTotal: z.number().nonnegative().nullable().describe('The total printed on the invoice; null if none'),
});
export type Invoice = z.infer<typeof invoiceSchema>;

export interface ReadInvoice {
  invoice: Invoice;
  /** The sum of the line items, worked out here, not by the model. */
  computedTotal: number;
  /** Whether the printed total (if any) matches the line items. */
  totalMatches: boolean | null;
}

export const readInvoice = workflow(async (run: RunContext<string>): Promise<ReadInvoice> => {
  run.step('reading the invoice');
  const invoice = await run.agent('extractor').generateStructured(`Read this invoice:\n\n${run.input}`, invoiceSchema, {
    name: 'invoice',
    description: 'The invoice as data',
  });

  const computedTotal = Math.round(invoice.lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0) * 100) / 100;
  const totalMatches = invoice.statedTotal === null ? null : Math.abs(invoice.statedTotal - computedTotal) < 0.005;
  return { invoice, computedTotal, totalMatches };
});
