/** Every workflow type the worker registers (contract section 5). */
export { agentWorkflow } from './agent';
