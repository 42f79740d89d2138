/** Every workflow type the worker registers (contract section 5). */
export { agentWorkflow } from './agent';
export { parallelWorkflow } from './parallel';
export { swarmWorkflow } from './swarm';
export { routerWorkflow } from './router';
export { intentClassifierWorkflow } from './intent-classifier';
export { orchestratorWorkflow } from './orchestrator';
export { evaluatorOptimizerWorkflow } from './evaluator-optimizer';
