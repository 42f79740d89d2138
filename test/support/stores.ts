import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LlmGenerateRequest, LlmGenerateResponse } from '../../activities/contracts';
import { ConversationStore } from '../../src/conversation/store';
import type { LlmRequest, LlmResponse } from '../../src/llm/messages';
import { FileBlobStore } from '../../src/storage/file-store';

/** A conversation store on a fresh folder, for activity tests that run without a worker. */
export function scratchConversationStore(inlineBytes = 1024): ConversationStore {
  return new ConversationStore(new FileBlobStore(mkdtempSync(path.join(tmpdir(), 'mcp-agent-store-'))), inlineBytes);
}

/** `llmGenerate` as the single-request call it is when given a plain LlmRequest. */
export function singleRequest(
  llmGenerate: (request: LlmGenerateRequest) => Promise<LlmGenerateResponse>,
): (request: LlmRequest) => Promise<LlmResponse> {
  return llmGenerate as (request: LlmRequest) => Promise<LlmResponse>;
}
