// Cloud entry point of the fetch stage: registers its handler with the functions framework under the
// entry point "fetch", configured from the function's environment.
import { registerStageFunction } from '../runtime/register-stage-function';
import { handleFetch } from './handler';
import { fetchStage } from './stage';

registerStageFunction(fetchStage, handleFetch, process.env);
