// Cloud entry point of the notify stage: registers its handler with the functions framework under the
// entry point "notify", configured from the function's environment.
import { registerStageFunction } from '../runtime/register-stage-function';
import { handleNotify } from './handler';
import { notifyStage } from './stage';

registerStageFunction(notifyStage, handleNotify, process.env);
