/**
 * The testing entry (package entry `mcp-agent-temporal/testing`): run your workflows in your own
 * tests on a real Temporal dev server against a scripted model, and check recorded histories
 * still replay on your code.
 */
export { startTestEnvironment, type TestEnvironment, type TestEnvironmentOptions, type TestLogLevel } from './environment';
export {
  startScriptedProvider as startScriptedModel,
  type RecordedRequest,
  type ScriptedProvider as ScriptedModel,
  type ScriptedReply,
} from './scripted-model';
export { readHistoryFile, replayHistories, type NamedHistory, type ReplayOutcome } from './replay';
