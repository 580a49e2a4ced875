// Cloud entry point of the transform stage: registers its handler with the functions framework under the
// entry point "transform", configured from the function's environment.
import { registerStageFunction } from '../runtime/register-stage-function';
import { transformHandler } from './handler';
import { transformStage } from './stage';

registerStageFunction(transformStage, transformHandler, process.env);
