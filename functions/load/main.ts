// Cloud entry point of the load stage: registers its handler with the functions framework under the
// entry point "load", configured from the function's environment.
import { registerStageFunction } from '../runtime/register-stage-function';
import { handleLoad } from './handler';
import { loadStage } from './stage';

registerStageFunction(loadStage, handleLoad, process.env);
