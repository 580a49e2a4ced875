// Cloud entry point of the ops function: the ops API (and the dashboard under /ui/) registered with
// the functions framework under the entry point "ops", configured from the function's environment.
// Configuration is parsed at load, so a bad setting fails the first request loudly, naming the field.
import * as functions from '@google-cloud/functions-framework';
import { pipelines } from '../../pipelines/index';
import { ops } from '../../pipelines/ops';
import { createOpsRuntime } from './ops-runtime';

const runtime = createOpsRuntime({ env: process.env, pipelines, ops });
functions.http('ops', (req, res) => void runtime.handler(req, res));
