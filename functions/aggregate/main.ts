// Cloud entry point of the aggregate stage: registers its handler with the functions framework under the
// entry point "aggregate", configured from the function's environment.
import { registerStageFunction } from '../runtime/register-stage-function';
import { handleAggregate } from './handler';
import { aggregateStage } from './stage';

registerStageFunction(aggregateStage, handleAggregate, process.env);
