// What each route takes and answers, as the zod schemas of api-schemas.ts: the handlers validate
// requests with them and the OpenAPI document (openapi.ts) is built from the same table, so the
// document cannot drift from what the server checks.
import { z } from 'zod';
import {
  bulkActionSchema, bulkRequestSchema, callerSchema, deadLetterActionResultSchema, deadLetterListSchema, deadLetterQuerySchema,
  deadLetterSchema, deadLetterSelectionSchema, fileViewSchema, healthSchema, logPageSchema, pipelineSummarySchema, queuedRunSchema,
  rerunRequestSchema, runDetailSchema, runListQuerySchema, runListSchema, runSummarySchema, triggerRequestSchema,
} from '../api-schemas';
import type { RouteName } from '../routes';

// GET /runs/{id}/logs?limit&pageToken
export const logQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  pageToken: z.string().max(2000).optional(),
});

// The first page of GET /runs, live: the same filters without a cursor.
export const runsEventsQuerySchema = runListQuerySchema.omit({ cursor: true });

export interface RouteSchemas {
  query?: z.ZodType;
  body?: z.ZodType;
  // The 2xx answer: its status and schema (undefined schema: text/event-stream).
  status: number;
  response?: z.ZodType;
}

const liveStatus = z.object({ status: z.literal('ok') });

export const routeSchemas: Record<RouteName, RouteSchemas> = {
  health: { status: 200, response: liveStatus },
  healthDetailed: { status: 200, response: healthSchema },
  openapi: { status: 200, response: z.record(z.string(), z.unknown()) },
  whoami: { status: 200, response: callerSchema },
  listPipelines: { status: 200, response: z.object({ pipelines: z.array(pipelineSummarySchema) }) },
  getPipeline: { status: 200, response: pipelineSummarySchema },
  pausePipeline: { status: 200, response: pipelineSummarySchema },
  resumePipeline: { status: 200, response: pipelineSummarySchema },
  listRuns: { query: runListQuerySchema, status: 200, response: runListSchema },
  triggerRun: { body: triggerRequestSchema, status: 202, response: queuedRunSchema },
  getRun: { status: 200, response: runDetailSchema },
  getRunFiles: { status: 200, response: z.object({ files: z.array(fileViewSchema) }) },
  getRunLogs: { query: logQuerySchema, status: 200, response: logPageSchema },
  rerunRun: { body: rerunRequestSchema, status: 202, response: queuedRunSchema },
  cancelRun: { status: 200, response: runSummarySchema },
  listDeadLetters: { query: deadLetterQuerySchema, status: 200, response: deadLetterListSchema },
  getDeadLetter: { status: 200, response: deadLetterSchema },
  replayDeadLetters: { body: deadLetterSelectionSchema, status: 200, response: deadLetterActionResultSchema },
  purgeDeadLetters: { body: deadLetterSelectionSchema, status: 200, response: deadLetterActionResultSchema },
  startBulkAction: { body: bulkRequestSchema, status: 202, response: bulkActionSchema },
  getBulkAction: { status: 200, response: bulkActionSchema },
  runEvents: { status: 200 },
  runsEvents: { query: runsEventsQuerySchema, status: 200 },
};
